import hashlib
import hashlib as hl
from hashlib import md5, sha1


def digests(data):
    hashlib.md5(data).hexdigest()  # ruleid: PW320
    hashlib.sha1(data).hexdigest()  # ruleid: PW320
    hl.md5(data)  # ruleid: PW320
    md5(data)  # ruleid: PW320
    sha1(data, usedforsecurity=True)  # ruleid: PW320
    hashlib.md5(data, usedforsecurity=False).hexdigest()  # ok: PW320
    hashlib.sha256(data).hexdigest()  # ok: PW320
    hashlib.sha3_256(data).hexdigest()  # ok: PW320
    hashlib.blake2b(data).hexdigest()  # ok: PW320
