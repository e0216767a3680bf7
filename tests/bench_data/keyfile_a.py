import os
from pathlib import Path


def save_api_key(key: str, home: Path = Path.home()) -> Path:
    target = home / ".config" / "acme" / "credentials"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(key)
    os.chmod(target, 0o777)
    return target
