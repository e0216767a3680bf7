import requests

WEBHOOK = "https://hooks.partner.example.com/orders"
PARTNER_CA = "/etc/ssl/partner-ca.pem"


def notify_partner(order: dict) -> bool:
    resp = requests.post(WEBHOOK, json=order, timeout=10, verify=PARTNER_CA)
    return resp.ok
