import ldap
from flask import Flask, request, jsonify

app = Flask(__name__)
BASE_DN = "ou=people,dc=example,dc=com"


@app.route("/directory")
def directory():
    uid = request.args.get("uid", "")
    conn = ldap.initialize("ldaps://ldap.example.com")
    results = conn.search_s(BASE_DN, ldap.SCOPE_SUBTREE, "(uid=" + uid + ")", ["cn", "mail"])
    return jsonify([attrs.get("mail", [b""])[0].decode() for _, attrs in results])
