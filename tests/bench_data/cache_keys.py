"""Content-addressed cache for rendered fragments (not a security boundary)."""
import hashlib


def fragment_key(template_name: str, context_repr: str) -> str:
    raw = f"{template_name}:{context_repr}".encode()
    return hashlib.md5(raw, usedforsecurity=False).hexdigest()


def etag_for(body: bytes) -> str:
    return '"' + hashlib.sha1(body, usedforsecurity=False).hexdigest() + '"'
