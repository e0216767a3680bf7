import hashlib
import hmac
import random
import os

from flask import Flask, abort, render_template_string, request, session

app = Flask(__name__)
app.secret_key = os.environ["SECRET_KEY"]

FORM = """<form method=post action=/email>
<input type=hidden name=nonce value="{{ nonce }}">
<input name=email><button>Change</button></form>"""


def fresh_nonce():
    return os.urandom(32).hex()


@app.get("/email")
def email_form():
    session["nonce"] = fresh_nonce()
    return render_template_string(FORM, nonce=session["nonce"])


@app.post("/email")
def change_email():
    sent = request.form.get("nonce", "")
    if not hmac.compare_digest(sent, session.pop("nonce", "")):
        abort(403)
    return {"email": request.form.get("email")}
