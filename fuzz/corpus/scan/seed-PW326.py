import os

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from Cryptodome.Cipher import AES


def ciphers(key):
    iv = os.urandom(16)
    Cipher(algorithms.AES(key), modes.CBC(b"0000000000000000"))  # ruleid: PW326
    Cipher(algorithms.AES(key), modes.CTR(bytes(16)))  # ruleid: PW326
    Cipher(algorithms.AES(key), modes.GCM(b"\x00" * 12))  # ruleid: PW326
    AES.new(key, AES.MODE_CBC, iv=b"fixed-iv-16bytes")  # ruleid: PW326
    AES.new(key, AES.MODE_GCM, nonce=b"samenonce123")  # ruleid: PW326
    Cipher(algorithms.AES(key), modes.CBC(iv))  # ok: PW326
    Cipher(algorithms.AES(key), modes.GCM(os.urandom(12)))  # ok: PW326
    AES.new(key, AES.MODE_CBC, iv=iv)  # ok: PW326
    AES.new(key, AES.MODE_GCM)  # ok: PW326
