from urllib.parse import urlparse

import requests
from flask import Flask, request, jsonify, abort

app = Flask(__name__)
ALLOWED_HOSTS = {"images.example.com", "cdn.example.com"}


@app.route("/preview")
def preview():
    url = request.args["url"]
    parts = urlparse(url)
    if parts.scheme != "https" or parts.hostname not in ALLOWED_HOSTS:
        abort(400)
    resp = requests.get(parts.geturl(), timeout=5, allow_redirects=False)
    return jsonify({"status": resp.status_code, "length": len(resp.content)})
