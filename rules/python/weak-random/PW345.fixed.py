import hashlib
import hmac
import random
import secrets

import jwt
from flask import Flask, make_response, session

app = Flask(__name__)


def new_identifier():
    return "%032x" % secrets.SystemRandom().getrandbits(128)


def delay():
    return secrets.SystemRandom().uniform(0.1, 0.5)


@app.get("/start")
def start():
    resp = make_response("ok")
    resp.set_cookie("sid", new_identifier(), httponly=True)  # ruleid: PW345
    resp.set_cookie("tid", secrets.token_hex(16), httponly=True)  # ok: PW345
    resp.set_cookie("jitter", str(delay()))  # ruleid: PW345
    return resp


@app.post("/otp")
def otp():
    code = str(secrets.SystemRandom().randint(0, 999999))
    session["otp"] = code  # ruleid: PW345
    session["otp2"] = secrets.randbelow(10**6)  # ok: PW345
    return "sent"


def sign(payload):
    key = bytes(secrets.SystemRandom().getrandbits(8) for _ in range(32))
    mac = hmac.new(key, payload, "sha256")  # ruleid: PW345
    token = jwt.encode({"p": 1}, secrets.token_bytes(32))  # ok: PW345
    sample = random.sample(range(100), 5)  # ok: PW345
    return mac, token, sample


def fresh_nonce():
    seed = f"{secrets.SystemRandom().random()}:{session.get('uid')}"
    return hashlib.sha256(seed.encode()).hexdigest()


@app.get("/email")
def email_form():
    session["nonce"] = fresh_nonce()  # ruleid: PW345
    return "form"


def send_code(cache, phone):
    n = secrets.SystemRandom().randint(0, 999999)
    value = f"{n:06d}"
    cache.set(f"otp:{phone}", value, timeout=300)  # ruleid: PW345
    cache.set(f"retry-delay:{phone}", delay())  # ok: PW345
    return value


def issue_key(user, save_key, KeyOut):
    raw = "".join(secrets.SystemRandom().choices("abcdef0123456789", k=40))
    save_key(user.id, hashlib.sha256(raw.encode()).hexdigest())  # ruleid: PW345
    shuffled = sorted(range(10), key=lambda _: random.random())  # ok: PW345
    return KeyOut(prefix=raw[:6], key=raw)  # ruleid: PW345


def make_user(User):
    return User(name="guest", password=str(secrets.SystemRandom().getrandbits(64)))  # ruleid: PW345
