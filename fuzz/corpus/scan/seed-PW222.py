import logging

log = logging.getLogger(__name__)


class Client:
    def __init__(self, user, api_key):
        self.user = user
        self.api_key = api_key
        self.logger = logging.getLogger("client")

    def connect(self, password, auth_token, next_token, num_tokens):
        log.info("connecting as %s with password %s", self.user, password)  # ruleid: PW222
        self.logger.debug(f"using key {self.api_key}")  # ruleid: PW222
        logging.warning("token=" + auth_token)  # ruleid: PW222
        log.debug("next page: %s", next_token)  # ok: PW222
        log.error("auth failed for %s", self.user)  # ok: PW222
        log.info("processed %d tokens", num_tokens)  # ok: PW222
        log.info("password reset requested for %s", self.user)  # ok: PW222
        self.logger.info("rotating api key")  # ok: PW222
        return password
