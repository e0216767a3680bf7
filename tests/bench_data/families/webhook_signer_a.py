import hashlib
import hmac
import json
import os
import time

import requests

PARTNER_URL = "https://hooks.partner.example/v1/events"
API_KEY_ID = "acme-prod"
API_SECRET = os.environ.get("PARTNER_API_SECRET", "")


def sign(body: bytes, ts: str) -> str:
    mac = hmac.new(API_SECRET.encode(), f"{ts}.".encode() + body, hashlib.sha256)
    return mac.hexdigest()


def send_event(kind, payload):
    if not API_SECRET:
        raise RuntimeError("PARTNER_API_SECRET is not set")
    body = json.dumps({"type": kind, "data": payload}, separators=(",", ":")).encode()
    ts = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "X-Key-Id": API_KEY_ID,
        "X-Timestamp": ts,
        "X-Signature": sign(body, ts),
    }
    resp = requests.post(PARTNER_URL, data=body, headers=headers, timeout=5)
    resp.raise_for_status()
    return resp.status_code


if __name__ == "__main__":
    print(send_event("ping", {"at": time.time()}))
