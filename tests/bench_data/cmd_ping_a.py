import os

from flask import Flask, request, jsonify

app = Flask(__name__)


@app.route("/diag/ping")
def ping():
    host = request.args.get("host", "")
    code = os.system("ping -c 1 " + host)
    return jsonify({"reachable": code == 0})
