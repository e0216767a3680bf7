import random
import secrets
import string
from random import randint

ALPHABET = string.ascii_letters + string.digits


class Account:
    def rotate(self):
        self.api_key = "".join(random.choice(ALPHABET) for _ in range(40))  # ruleid: PW340
        self.api_key = "".join(secrets.choice(ALPHABET) for _ in range(40))  # ok: PW340


def issue(user, store):
    token = random.getrandbits(128)  # ruleid: PW340
    otp = str(randint(100000, 999999))  # ruleid: PW340
    reset_code = "%06d" % random.randint(0, 999999)  # ruleid: PW340
    store["session_id"] = "".join(random.choices(ALPHABET, k=32))  # ruleid: PW340
    user.save(password=random.randbytes(16))  # ruleid: PW340
    token = secrets.token_urlsafe(32)  # ok: PW340
    otp = str(secrets.randbelow(1000000))  # ok: PW340
    delay = random.uniform(0.5, 1.5)  # ok: PW340
    sample = random.sample(range(100), 10)  # ok: PW340
    random.shuffle(sample)  # ok: PW340
    pins = [random.random() for _ in range(3)]  # ruleid: PW340
    salt = random.SystemRandom().getrandbits(64)  # ok: PW340
    return token, otp, reset_code, delay, pins, salt


def generate_password(length=16):
    return "".join(random.choice(ALPHABET) for _ in range(length))  # ruleid: PW340


def make_nonce():
    return random.randrange(2**64)  # ruleid: PW340


def pick_colour():
    return random.choice(["red", "green"])  # ok: PW340


def generate_secure_password(length=16):
    return "".join(secrets.choice(ALPHABET) for _ in range(length))  # ok: PW340
