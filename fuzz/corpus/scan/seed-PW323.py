import pyDes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from Cryptodome.Cipher import AES, ARC4, DES, DES3, Blowfish


def ciphers(key, iv, data):
    DES.new(key, DES.MODE_CBC, iv=iv)  # ruleid: PW323
    DES3.new(key, DES3.MODE_CBC, iv=iv)  # ruleid: PW323
    ARC4.new(key)  # ruleid: PW323
    Blowfish.new(key, Blowfish.MODE_CBC, iv=iv)  # ruleid: PW323
    Cipher(algorithms.ARC4(key), mode=None)  # ruleid: PW323
    Cipher(algorithms.TripleDES(key), modes.CBC(iv))  # ruleid: PW323
    pyDes.des(key)  # ruleid: PW323
    Cipher(algorithms.AES(key), modes.CBC(iv))  # ok: PW323
    AES.new(key, AES.MODE_GCM, nonce=iv)  # ok: PW323
    AESGCM(key).encrypt(iv, data, None)  # ok: PW323
