import logging

import requests
from flask import Flask, request, jsonify

app = Flask(__name__)
log = logging.getLogger(__name__)


def pick_hosts(args):
    return args.get("host", ""), "status.internal.example"


@app.route("/ops/status")
def remote_status():
    user_host, internal_host = pick_hosts(request.args)
    log.info("status check (requested by client for %s)", user_host)
    url = f"https://{internal_host}/api/v2/status.json"
    try:
        data = requests.get(url, timeout=3).json()
    except (requests.RequestException, ValueError):
        return jsonify(ok=False), 502
    return jsonify(
        ok=True,
        indicator=data.get("status", {}).get("indicator"),
        description=data.get("status", {}).get("description"),
    )
