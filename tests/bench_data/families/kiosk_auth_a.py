import os

from flask import Flask, redirect, request, session
from flask_session import Session
from werkzeug.security import check_password_hash

from .users import find_by_badge

app = Flask(__name__)
app.config.update(
    SECRET_KEY=os.environ["SECRET_KEY"],
    SESSION_TYPE="filesystem",
    SESSION_FILE_DIR="/var/lib/kiosk/sessions",
    SESSION_PERMANENT=False,
)
Session(app)


@app.post("/kiosk/login")
def kiosk_login():
    badge = request.form.get("badge", "")
    pin = request.form.get("pin", "")
    user = find_by_badge(badge)
    if user is None or not check_password_hash(user.pin_hash, pin):
        return {"error": "unknown badge or wrong PIN"}, 401
    app.session_interface.regenerate(session)
    session["user_id"] = user.id
    session["display"] = user.display_name
    return redirect("/kiosk")


@app.get("/kiosk")
def kiosk_home():
    if "user_id" not in session:
        return redirect("/kiosk/login")
    return {"hello": session["display"]}
