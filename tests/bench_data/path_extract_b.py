"""Installs a theme bundle uploaded by a user."""
import re
import tarfile
from pathlib import Path

THEMES = Path("/var/lib/shop/themes")


def install_theme(upload_path: str, theme: str) -> Path:
    if not re.fullmatch(r"[a-z0-9_-]{1,40}", theme):
        raise ValueError("bad theme name")
    dest = THEMES / theme
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(upload_path, "r:gz") as tar:
        tar.extractall(dest, filter="data")
    return dest
