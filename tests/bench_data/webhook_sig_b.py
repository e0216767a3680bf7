import hashlib
import hmac
import os

from flask import Flask, request, abort

app = Flask(__name__)
SIGNING_KEY = os.environ["WEBHOOK_KEY"].encode()


@app.route("/webhooks/payments", methods=["POST"])
def payments():
    expected = hmac.new(SIGNING_KEY, request.data, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(request.headers.get("X-Signature", ""), expected):
        abort(403)
    return {"received": True}
