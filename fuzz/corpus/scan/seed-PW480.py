import hashlib

from argon2 import PasswordHasher


def store(user, password, salt, new_pwd, body):
    user.hash = hashlib.sha256(password.encode()).hexdigest()  # ruleid: PW480
    user.hash = hashlib.sha512(salt + password.encode()).hexdigest()  # ruleid: PW480
    user.hash = hashlib.new("sha256", new_pwd.encode()).hexdigest()  # ruleid: PW480
    user.hash = hashlib.md5(password.encode()).hexdigest()  # ruleid: PW480, PW320
    user.hash = PasswordHasher().hash(password)  # ok: PW480
    user.etag = hashlib.sha256(body).hexdigest()  # ok: PW480
    user.hash = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1)  # ok: PW480
