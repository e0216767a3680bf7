import http.client
import json
import ssl

LEDGER_HOST = "ledger.bank-partner.example"


def make_context():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.check_hostname = True
    ctx.load_verify_locations("/etc/ssl/certs/partner-ca.pem")
    ctx.load_cert_chain("/etc/app/client.crt", "/etc/app/client.key")
    return ctx


def post_entry(entry):
    conn = http.client.HTTPSConnection(LEDGER_HOST, 8443, context=make_context(), timeout=10)
    try:
        conn.request(
            "POST",
            "/v2/entries",
            body=json.dumps(entry),
            headers={"Content-Type": "application/json"},
        )
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read() or b"{}")
    finally:
        conn.close()
