from flask import Flask, request, jsonify
from pymongo import MongoClient

app = Flask(__name__)
users = MongoClient("mongodb://localhost:27017").shop.users


@app.route("/api/login", methods=["POST"])
def login():
    body = request.get_json()
    user = users.find_one({"username": body["username"], "password_hash": body["password"]})
    return jsonify({"ok": user is not None})
