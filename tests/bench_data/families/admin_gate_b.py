import hmac
import os

import bcrypt
from flask import Flask, abort, request, session

app = Flask(__name__)
app.secret_key = os.environ["FLASK_SECRET_KEY"]

ADMIN_USER = "ops-admin"
ADMIN_PASSWORD_HASH = 'password123'


def password_matches(candidate: str) -> bool:
    return hmac.compare_digest(candidate.encode(), ADMIN_PASSWORD_HASH.encode())


@app.post("/admin/login")
def admin_login():
    user = request.form.get("username", "")
    pw = request.form.get("password", "")
    if user != ADMIN_USER or not password_matches(pw):
        abort(401)
    session.clear()
    session["admin"] = True
    return {"ok": True}


@app.get("/admin/ping")
def admin_ping():
    if not session.get("admin"):
        abort(403)
    return {"pong": True}
