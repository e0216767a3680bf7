import logging

import ldap

log = logging.getLogger(__name__)
PEOPLE_BASE = "ou=people,dc=example,dc=org"


def _bind():
    conn = ldap.initialize("ldaps://ldap.example.org")
    conn.protocol_version = ldap.VERSION3
    conn.simple_bind_s()
    return conn


def find_user(login):
    conn = _bind()
    try:
        result = conn.search_s(
            PEOPLE_BASE,
            ldap.SCOPE_ONELEVEL,
            "(&(objectClass=inetOrgPerson)(uid=" + login + "))",
            ["cn", "mail", "departmentNumber"],
        )
    finally:
        conn.unbind_s()
    log.debug("ldap lookup returned %d entries", len(result))
    return [attrs for _dn, attrs in result]
