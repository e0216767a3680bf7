import hashlib
import random
import string
import secrets

from fastapi import Depends, FastAPI
from pydantic import BaseModel

from .auth import current_user
from .db import save_key

app = FastAPI()
ALPHABET = string.ascii_letters + string.digits


class KeyOut(BaseModel):
    prefix: str
    key: str


def generate(length=40):
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


@app.post("/me/keys", response_model=KeyOut)
def issue_key(user=Depends(current_user)):
    raw = generate()
    prefix = raw[:6]
    save_key(user.id, prefix, hashlib.sha256(raw.encode()).hexdigest())
    return KeyOut(prefix=prefix, key=raw)
