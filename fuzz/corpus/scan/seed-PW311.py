import os

import jwt
from jose import jwt as jose_jwt

SIGNING_KEY = os.environ["JWT_SIGNING_KEY"]


def issue(claims, token):
    jwt.encode(claims, "my-jwt-secret", algorithm="HS256")  # ruleid: PW311
    jwt.encode(claims, key=b"bytes-secret", algorithm="HS512")  # ruleid: PW311
    jwt.decode(token, "my-jwt-secret", algorithms=["HS256"])  # ruleid: PW311
    jose_jwt.encode(claims, "jose-secret", algorithm="HS256")  # ruleid: PW311
    jwt.encode(claims, SIGNING_KEY, algorithm="HS256")  # ok: PW311
    jwt.decode(token, SIGNING_KEY, algorithms=["HS256"])  # ok: PW311
    jwt.encode(claims, os.environ["JWT_SIGNING_KEY"], algorithm="HS256")  # ok: PW311
