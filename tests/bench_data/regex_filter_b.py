import re

from flask import Flask, request, jsonify

app = Flask(__name__)
LOG_LINES = open("/var/log/app/recent.log").read().splitlines()


@app.route("/logs/grep")
def grep():
    needle = request.args["pattern"][:200]
    pattern = re.compile(re.escape(needle))
    return jsonify([line for line in LOG_LINES if pattern.search(line)])
