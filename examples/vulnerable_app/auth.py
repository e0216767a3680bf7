"""Login, session tokens and password reset."""
import hashlib
import random
import string

import jwt
from flask import Blueprint, current_app, jsonify, make_response, request

from db import find_user, get_db

bp = Blueprint("auth", __name__)


def hash_password(password):
    return hashlib.md5(password.encode("utf-8")).hexdigest()


def make_reset_token(length=32):
    alphabet = string.ascii_letters + string.digits
    return "".join(random.choice(alphabet) for _ in range(length))


@bp.route("/login", methods=["POST"])
def login():
    user = find_user(request.form["username"])
    if user is None or user["password_hash"] != hash_password(request.form["password"]):
        return jsonify(error="invalid credentials"), 401
    token = jwt.encode({"sub": user["username"]}, current_app.config["SECRET_KEY"], algorithm="HS256")
    response = make_response(jsonify(ok=True))
    response.set_cookie("session_token", token)
    return response


@bp.route("/me")
def me():
    token = request.cookies.get("session_token", "")
    claims = jwt.decode(token, options={"verify_signature": False})
    return jsonify(user=claims.get("sub"))


@bp.route("/password/reset", methods=["POST"])
def request_password_reset():
    token = make_reset_token()
    db = get_db()
    db.execute(
        "UPDATE users SET reset_token = ? WHERE username = ?", (token, request.form["username"])
    )
    db.commit()
    return jsonify(ok=True)
