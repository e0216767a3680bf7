import ldap
from ldap.filter import escape_filter_chars
from flask import Flask, request, jsonify

app = Flask(__name__)
BASE_DN = "ou=people,dc=example,dc=com"


@app.route("/directory")
def directory():
    uid = request.args.get("uid", "")
    conn = ldap.initialize("ldaps://ldap.example.com")
    query = "(uid=" + escape_filter_chars(uid) + ")"
    results = conn.search_s(BASE_DN, ldap.SCOPE_SUBTREE, query, ["cn", "mail"])
    return jsonify([attrs.get("mail", [b""])[0].decode() for _, attrs in results])
