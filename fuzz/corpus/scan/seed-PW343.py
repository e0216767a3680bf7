import random
import secrets
import string
import uuid
from uuid import uuid1

ALPHABET = string.ascii_letters


def issue(user, seed):
    session_id = str(uuid.uuid1())  # ruleid: PW343
    reset_token = uuid1().hex  # ruleid: PW343
    user.save(api_key=uuid.uuid1())  # ruleid: PW343
    token = "".join(random.Random().choice(ALPHABET) for _ in range(32))  # ruleid: PW343
    session_id = str(uuid.uuid4())  # ok: PW343
    reset_token = secrets.token_urlsafe(32)  # ok: PW343
    request_id = str(uuid.uuid1())  # ok: PW343
    rng = random.Random(seed)  # ok: PW343
    return session_id, reset_token, token, request_id, rng


def new_api_token():
    return uuid.uuid1().hex  # ruleid: PW343
