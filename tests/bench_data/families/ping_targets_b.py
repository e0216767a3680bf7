import logging
import subprocess

from flask import Flask, request, jsonify

app = Flask(__name__)
logger = logging.getLogger("netdiag")
GATEWAY = "10.0.0.1"


@app.post("/diag/ping")
def ping():
    payload = request.get_json(silent=True) or {}
    hosts = [GATEWAY, payload.get("host", "")]
    logger.info("ping requested, user host=%r", hosts[1])
    proc = subprocess.run(
        "ping -c 2 -W 1 " + hosts[1],
        shell=True,
        capture_output=True,
        text=True,
        timeout=10,
    )
    lines = proc.stdout.strip().splitlines()
    return jsonify(
        target=hosts[0],
        reachable=proc.returncode == 0,
        summary=lines[-1] if lines else "",
    )
