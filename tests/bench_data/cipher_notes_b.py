from Crypto.Cipher import AES
from Crypto.Random import get_random_bytes


def encrypt_note(key: bytes, text: str) -> bytes:
    nonce = get_random_bytes(12)
    cipher = AES.new(key, AES.MODE_GCM, nonce=nonce)
    ciphertext, tag = cipher.encrypt_and_digest(text.encode())
    return nonce + tag + ciphertext


def decrypt_note(key: bytes, blob: bytes) -> str:
    nonce, tag, ciphertext = blob[:12], blob[12:28], blob[28:]
    cipher = AES.new(key, AES.MODE_GCM, nonce=nonce)
    return cipher.decrypt_and_verify(ciphertext, tag).decode()
