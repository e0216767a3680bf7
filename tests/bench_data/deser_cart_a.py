import base64
import pickle

from flask import Flask, request, jsonify

app = Flask(__name__)


@app.route("/cart")
def cart():
    raw = request.cookies.get("cart", "")
    items = pickle.loads(base64.b64decode(raw)) if raw else []
    return jsonify({"count": len(items)})
