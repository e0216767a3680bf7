import hashlib
import hmac
import os


class UserStore:
    def __init__(self):
        self._users = {}

    def register(self, username: str, password: str) -> None:
        salt = os.urandom(16)
        digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1)
        self._users[username] = (salt, digest)

    def check(self, username: str, password: str) -> bool:
        entry = self._users.get(username)
        if entry is None:
            return False
        salt, digest = entry
        candidate = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1)
        return hmac.compare_digest(candidate, digest)
