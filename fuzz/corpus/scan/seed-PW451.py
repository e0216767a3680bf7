import os

import jwt

PUBLIC_KEY = os.environ["JWT_PUBLIC_KEY"]


def claims(token):
    jwt.decode(token, options={"verify_signature": False})  # ruleid: PW451
    jwt.decode(token, PUBLIC_KEY, verify=False)  # ruleid: PW451
    jwt.decode(token, PUBLIC_KEY, algorithms=["RS256", "none"])  # ruleid: PW451
    jwt.decode(token, PUBLIC_KEY, algorithms=["RS256"])  # ok: PW451
    jwt.decode(token, PUBLIC_KEY, algorithms=["RS256"], options={"verify_exp": True})  # ok: PW451
    return jwt.decode(token, PUBLIC_KEY, algorithms=["RS256"], options={"require": ["exp"]})  # ok: PW451
