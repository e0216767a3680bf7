import logging
from urllib.parse import urlparse

import requests
from flask import Flask, request, jsonify

app = Flask(__name__)
log = logging.getLogger("preview")

ALLOWED_HOSTS = {"cdn.example.com", "images.example.com", "docs.example.com"}
MAX_BYTES = 256 * 1024


def fetch_preview(target):
    resp = requests.get(target, timeout=4, stream=True)
    resp.raise_for_status()
    body = resp.raw.read(MAX_BYTES, decode_content=True)
    return {
        "status": resp.status_code,
        "type": resp.headers.get("Content-Type", ""),
        "size": len(body),
    }


@app.route("/api/preview")
def preview():
    target = request.args.get("url", "")
    if not target:
        return jsonify(error="missing url"), 400
    log.info("preview requested for %s", target)
    try:
        meta = fetch_preview(target)
    except requests.RequestException:
        log.warning("preview failed", exc_info=True)
        return jsonify(error="unreachable"), 502
    return jsonify(meta)
