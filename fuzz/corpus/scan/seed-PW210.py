import ldap
import ldap3
from flask import Flask, request
from ldap.filter import escape_filter_chars
from ldap3.utils.conv import escape_filter_chars as escape3

app = Flask(__name__)
BASE_DN = "ou=people,dc=example,dc=org"


@app.route("/user")
def user():
    uid = request.args["uid"]
    conn = ldap.initialize("ldap://ldap.example.org")
    found = conn.search_s(BASE_DN, ldap.SCOPE_SUBTREE, f"(uid={uid})")  # ruleid: PW210
    again = conn.search_s(BASE_DN, ldap.SCOPE_SUBTREE, filterstr="(mail=" + uid + ")")  # ruleid: PW210
    clean = conn.search_s(BASE_DN, ldap.SCOPE_SUBTREE, f"(uid={escape_filter_chars(uid)})")  # ok: PW210
    fixed = conn.search_s(BASE_DN, ldap.SCOPE_SUBTREE, "(objectClass=person)")  # ok: PW210
    return str([found, again, clean, fixed])


@app.route("/user3")
def user3():
    name = request.args["name"]
    server = ldap3.Server("ldap.example.org")
    conn = ldap3.Connection(server, auto_bind=True)
    conn.search("dc=example,dc=org", f"(cn={name})", attributes=["mail"])  # ruleid: PW210
    conn.search("dc=example,dc=org", f"(cn={escape3(name)})")  # ok: PW210
    return str(conn.entries)
