from urllib.parse import urlparse

from flask import Flask, request, redirect, session

app = Flask(__name__)


def safe_next(target: str) -> str:
    parts = urlparse(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@app.route("/login", methods=["POST"])
def login():
    if check_credentials(request.form["user"], request.form["password"]):
        session["user"] = request.form["user"]
        return redirect(safe_next(request.args.get("next", "/")))
    return redirect("/login?failed=1")


def check_credentials(user, password):
    return False
