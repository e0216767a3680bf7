import hashlib
import hmac
import logging
import logging.config
import os
import threading

LOG_CONTROL_PORT = int(os.environ.get("LOG_CONTROL_PORT", "9030"))
CONTROL_KEY = os.environ.get("LOG_CONTROL_KEY", "").encode()
log = logging.getLogger("worker")


def verified(payload: bytes):
    sig, _, body = payload.partition(b"\n")
    expected = hmac.new(CONTROL_KEY, body, hashlib.sha256).hexdigest().encode()
    if CONTROL_KEY and hmac.compare_digest(sig, expected):
        return body
    log.warning("rejected unsigned logging configuration")
    return None


def start_background_threads():
    t = threading.Thread(
        target=logging.config.listen,
        args=(LOG_CONTROL_PORT,),
        name="log-config-listener",
        daemon=True,
    )
    t.start()
    return t


def main():
    logging.basicConfig(level=logging.INFO)
    listener = start_background_threads()
    log.info("log control listener on port %d", LOG_CONTROL_PORT)
    listener.join()
