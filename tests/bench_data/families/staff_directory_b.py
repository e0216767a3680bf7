import logging

import ldap
from ldap.filter import escape_filter_chars
from flask import Flask, request, jsonify, abort

log = logging.getLogger(__name__)


class StaffDirectory:
    def __init__(self, uri, base_dn):
        self.base_dn = base_dn
        self.conn = ldap.initialize(uri)
        self.conn.set_option(ldap.OPT_REFERRALS, 0)

    def find(self, value):
        return self.conn.search_s(
            self.base_dn,
            ldap.SCOPE_SUBTREE,
            f"(uid={escape_filter_chars(value)})",
            ["cn", "mail", "telephoneNumber"],
        )

    def close(self):
        self.conn.unbind_s()


app = Flask(__name__)


@app.get("/staff")
def staff():
    uid = request.args.get("uid")
    if not uid:
        abort(400)
    directory = StaffDirectory("ldaps://ldap.internal", "ou=staff,dc=acme,dc=io")
    try:
        entries = directory.find(uid)
    finally:
        directory.close()
    log.debug("staff lookup returned %d entries", len(entries))
    return jsonify([
        {k: v[0].decode() for k, v in attrs.items()} for _dn, attrs in entries
    ])
