import ipaddress
import subprocess

from flask import Flask, request, jsonify, abort

app = Flask(__name__)


@app.route("/diag/ping")
def ping():
    host = request.args.get("host", "")
    try:
        addr = ipaddress.ip_address(host)
    except ValueError:
        abort(400)
    proc = subprocess.run(["ping", "-c", "1", str(addr)], capture_output=True, timeout=5)
    return jsonify({"reachable": proc.returncode == 0})
