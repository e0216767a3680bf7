import requests
from flask import Flask, request, jsonify

app = Flask(__name__)


@app.route("/preview")
def preview():
    url = request.args["url"]
    resp = requests.get(url, timeout=5)
    return jsonify({"status": resp.status_code, "length": len(resp.content)})
