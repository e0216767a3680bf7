"""Login, session tokens and password reset."""
import secrets
from datetime import datetime, timedelta, timezone

import jwt
from flask import Blueprint, current_app, jsonify, make_response, request
from werkzeug.security import check_password_hash, generate_password_hash

from db import find_user, get_db

bp = Blueprint("auth", __name__)


def hash_password(password):
    # A salted, slow key-derivation function (scrypt), not a fast digest.
    return generate_password_hash(password, method="scrypt")


def make_reset_token():
    return secrets.token_urlsafe(32)


@bp.route("/login", methods=["POST"])
def login():
    user = find_user(request.form["username"])
    if user is None or not check_password_hash(user["password_hash"], request.form["password"]):
        return jsonify(error="invalid credentials"), 401
    claims = {"sub": user["username"], "exp": datetime.now(timezone.utc) + timedelta(hours=1)}
    token = jwt.encode(claims, current_app.config["SECRET_KEY"], algorithm="HS256")
    response = make_response(jsonify(ok=True))
    response.set_cookie("session_token", token, secure=True, httponly=True, samesite="Lax")
    return response


@bp.route("/me")
def me():
    token = request.cookies.get("session_token", "")
    try:
        claims = jwt.decode(token, current_app.config["SECRET_KEY"], algorithms=["HS256"])
    except jwt.InvalidTokenError:
        return jsonify(error="not signed in"), 401
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
