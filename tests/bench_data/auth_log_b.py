import logging

logger = logging.getLogger("auth")


def authenticate(backend, username: str, password: str) -> bool:
    logger.info("login attempt user=%s", username)
    ok = backend.verify(username, password)
    if not ok:
        logger.warning("failed login for %s", username)
    return ok
