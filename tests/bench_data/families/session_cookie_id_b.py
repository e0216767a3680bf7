import random
import secrets
import time

from flask import Flask, make_response, request

app = Flask(__name__)
STORE = {}


def new_identifier():
    return secrets.token_hex(16)


@app.post("/visit")
def start_visit():
    ident = new_identifier()
    STORE[ident] = {"created": time.time(), "ip": request.remote_addr}
    resp = make_response({"started": True})
    resp.set_cookie("sid", ident, httponly=True, secure=True, samesite="Lax")
    return resp


@app.get("/visit")
def current_visit():
    data = STORE.get(request.cookies.get("sid", ""))
    if data is None:
        return {"active": False}, 401
    return {"active": True, "since": data["created"]}
