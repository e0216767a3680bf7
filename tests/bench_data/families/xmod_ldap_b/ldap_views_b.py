from flask import Flask, abort, jsonify, request
from ldap.filter import escape_filter_chars
from ldap_directory_b import find_user

app = Flask(__name__)


def _decode(attrs):
    return {k: [v.decode("utf-8", "replace") for v in vals] for k, vals in attrs.items()}


@app.get("/people/lookup")
def lookup():
    login = request.args.get("login", "").strip()
    if not login:
        abort(400)
    entries = find_user(escape_filter_chars(login))
    if not entries:
        abort(404)
    return jsonify([_decode(e) for e in entries])


@app.get("/people/ping")
def ping():
    return jsonify(ok=True)
