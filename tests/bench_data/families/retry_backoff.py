import logging
import random
import time

import requests

log = logging.getLogger("sync")
BASE_DELAY = 0.5
MAX_DELAY = 30.0


def backoff(attempt):
    ceiling = min(MAX_DELAY, BASE_DELAY * (2 ** attempt))
    return random.uniform(0, ceiling)


def push_batch(url, batch, token, attempts=6):
    headers = {"Authorization": f"Bearer {token}"}
    for attempt in range(attempts):
        try:
            resp = requests.post(url, json=batch, headers=headers, timeout=10)
            if resp.status_code < 500:
                resp.raise_for_status()
                return resp.json()
        except requests.ConnectionError:
            log.warning("connection error on attempt %d", attempt + 1)
        delay = backoff(attempt)
        log.info("retrying in %.2fs", delay)
        time.sleep(delay)
    raise RuntimeError("gave up after %d attempts" % attempts)
