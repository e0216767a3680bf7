import requests

WEBHOOK = "https://hooks.partner.example.com/orders"


def notify_partner(order: dict) -> bool:
    resp = requests.post(WEBHOOK, json=order, timeout=10, verify=False)
    return resp.ok
