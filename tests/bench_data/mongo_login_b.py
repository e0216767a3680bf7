import hashlib
import hmac

from flask import Flask, request, jsonify, abort
from pymongo import MongoClient

app = Flask(__name__)
users = MongoClient("mongodb://localhost:27017").shop.users


@app.route("/api/login", methods=["POST"])
def login():
    body = request.get_json()
    username, password = body.get("username"), body.get("password")
    if not isinstance(username, str) or not isinstance(password, str):
        abort(400)
    user = users.find_one({"username": username})
    if user is None:
        return jsonify({"ok": False})
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), user["salt"], 600_000)
    return jsonify({"ok": hmac.compare_digest(digest, user["password_hash"])})
