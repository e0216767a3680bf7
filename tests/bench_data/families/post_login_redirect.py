from urllib.parse import urlsplit

from flask import Flask, redirect, request, session, url_for

app = Flask(__name__)
SAFE_PATHS = {"/", "/dashboard", "/settings", "/billing", "/reports"}


def target_or_default(candidate):
    parts = urlsplit(candidate or "")
    if parts.scheme or parts.netloc:
        return url_for("dashboard")
    if parts.path not in SAFE_PATHS:
        return url_for("dashboard")
    return parts.path + ("?" + parts.query if parts.query else "")


@app.post("/login")
def login():
    user = app.config["AUTH"].check(request.form.get("user"), request.form.get("pw"))
    if user is None:
        return {"error": "invalid"}, 401
    session.clear()
    session["uid"] = user.id
    return redirect(target_or_default(request.args.get("next")))


@app.get("/dashboard")
def dashboard():
    return {"uid": session.get("uid")}
