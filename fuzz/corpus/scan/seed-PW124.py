import logging.config
from logging import config as logconf


def start(port, check):
    logging.config.listen(9030).start()  # ruleid: PW124
    logconf.listen(port)  # ruleid: PW124
    logging.config.listen(9030, verify=check).start()  # ok: PW124
    logging.config.listen(port, check).start()  # ok: PW124
