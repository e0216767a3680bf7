import secrets

from flask import Flask, make_response, request

app = Flask(__name__)


@app.route("/session", methods=["POST"])
def start_session():
    token = secrets.token_urlsafe(32)
    resp = make_response({"ok": True})
    resp.set_cookie("sid", token)
    return resp
