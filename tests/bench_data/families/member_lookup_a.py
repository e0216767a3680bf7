import os

import ldap
from ldap.filter import escape_filter_chars
from fastapi import FastAPI, HTTPException, Query

app = FastAPI()

LDAP_URI = os.environ.get("LDAP_URI", "ldaps://dir.corp.example")
GROUP_BASE = "ou=groups,dc=corp,dc=example"


def _connect():
    conn = ldap.initialize(LDAP_URI)
    conn.simple_bind_s(os.environ["LDAP_BIND_DN"], os.environ["LDAP_BIND_PW"])
    return conn


def group_members(conn, group_name):
    flt = "(&(objectClass=groupOfNames)(cn=%s))" % group_name
    found = conn.search_s(GROUP_BASE, ldap.SCOPE_SUBTREE, flt, ["member"])
    members = []
    for _dn, attrs in found:
        members.extend(m.decode() for m in attrs.get("member", []))
    return members


@app.get("/groups/members")
def list_members(group: str = Query(..., max_length=64)):
    conn = _connect()
    try:
        members = group_members(conn, escape_filter_chars(group))
    finally:
        conn.unbind_s()
    if not members:
        raise HTTPException(status_code=404, detail="no such group")
    return {"group": group, "members": members}
