import logging

import requests

log = logging.getLogger(__name__)
USER_AGENT = "avatar-sync/2.1"


def download_image(url, max_bytes=2_000_000):
    resp = requests.get(url, headers={"User-Agent": USER_AGENT}, timeout=5, stream=True)
    resp.raise_for_status()
    if not resp.headers.get("Content-Type", "").startswith("image/"):
        raise ValueError("not an image")
    data = resp.raw.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ValueError("image too large")
    log.info("downloaded %d bytes", len(data))
    return data


def content_digest(data):
    import hashlib
    return hashlib.sha256(data).hexdigest()
