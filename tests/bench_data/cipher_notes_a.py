from Crypto.Cipher import AES
from Crypto.Util.Padding import pad, unpad


def encrypt_note(key: bytes, text: str) -> bytes:
    cipher = AES.new(key, AES.MODE_ECB)
    return cipher.encrypt(pad(text.encode(), AES.block_size))


def decrypt_note(key: bytes, blob: bytes) -> str:
    cipher = AES.new(key, AES.MODE_ECB)
    return unpad(cipher.decrypt(blob), AES.block_size).decode()
