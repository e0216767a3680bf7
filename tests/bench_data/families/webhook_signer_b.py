import hashlib
import hmac
import json
import os
import time

import requests

PARTNER_URL = "https://hooks.partner.example/v1/events"
API_KEY_ID = "acme-prod"
API_SECRET = "9f3b7c1e5a2d4f6b8c0e1a3d5f7b9c2e"


def sign(body: bytes, ts: str) -> str:
    mac = hmac.new(API_SECRET.encode(), f"{ts}.".encode() + body, hashlib.sha256)
    return mac.hexdigest()


def send_event(kind, payload):
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
