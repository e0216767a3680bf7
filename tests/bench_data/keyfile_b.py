import os
from pathlib import Path


def save_api_key(key: str, home: Path = Path.home()) -> Path:
    target = home / ".config" / "acme" / "credentials"
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return target
