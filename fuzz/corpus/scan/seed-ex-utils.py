"""Admin tools: thumbnails, reachability checks, link previews and the price feed."""
import ipaddress
import os
import subprocess

import requests
from flask import Blueprint, abort, jsonify, request
from markupsafe import escape

bp = Blueprint("tools", __name__)

PRICE_FEED_URL = "https://prices.example.com/feed.json"

# Pages the preview tool may fetch, by name. Clients choose a name, never a URL.
PREVIEW_PAGES = {
    "status": "https://status.example.com/",
    "docs": "https://docs.example.com/inventory/",
}


@bp.route("/tools/thumbnail", methods=["POST"])
def thumbnail():
    image = os.path.basename(request.form["image"])
    if not image or image.startswith("-"):
        abort(400)
    # An argument list, no shell, an absolute program path: the file name cannot inject
    # commands or options, and PATH cannot swap the program.
    subprocess.run(["/usr/bin/convert", image, "-resize", "128x128", f"thumb_{image}"], check=True)
    return jsonify(thumbnail=f"thumb_{image}")


@bp.route("/tools/ping")
def ping():
    try:
        address = ipaddress.ip_address(request.args.get("host", "127.0.0.1"))
    except ValueError:
        abort(400)
    status = subprocess.run(["/usr/bin/ping", "-c", "1", "-W", "2", str(address)], check=False)
    return jsonify(reachable=status.returncode == 0)


@bp.route("/tools/preview")
def preview():
    name = request.args.get("page", "")
    if name not in PREVIEW_PAGES:
        abort(404)
    page = requests.get(PREVIEW_PAGES[name], timeout=5, allow_redirects=False)
    return jsonify(status=page.status_code, length=len(page.content))


@bp.route("/tools/echo")
def echo():
    message = escape(request.args.get("message", ""))
    return jsonify(html=f"<p>You said: {message}</p>")


def fetch_price_feed():
    # Certificates are verified (the default); the supplier renewed its expired certificate.
    response = requests.get(PRICE_FEED_URL, timeout=10)
    response.raise_for_status()
    return response.json()
