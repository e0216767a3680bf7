import hashlib
import random

from flask import Flask, g, request

app = Flask(__name__)

VARIANTS = ["control", "new_checkout"]
TRACE_SAMPLE_RATE = 0.05


def variant_for(user_id):
    digest = hashlib.sha256(f"checkout-exp:{user_id}".encode()).digest()
    return VARIANTS[digest[0] % len(VARIANTS)]


@app.before_request
def sample_tracing():
    g.trace = random.random() < TRACE_SAMPLE_RATE


@app.get("/checkout")
def checkout():
    uid = request.headers.get("X-User-Id", "anon")
    token = random.choice(["a", "b", "c"])  # which edge cache shard serves assets
    variant = variant_for(uid)
    return {
        "variant": variant,
        "asset_shard": token,
        "traced": g.trace,
    }
