import hashlib


class UserStore:
    def __init__(self):
        self._users = {}

    def register(self, username: str, password: str) -> None:
        digest = hashlib.md5(password.encode()).hexdigest()
        self._users[username] = digest

    def check(self, username: str, password: str) -> bool:
        return self._users.get(username) == hashlib.md5(password.encode()).hexdigest()
