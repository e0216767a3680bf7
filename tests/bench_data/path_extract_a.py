"""Installs a theme bundle uploaded by a user."""
import tarfile
from pathlib import Path

THEMES = Path("/var/lib/shop/themes")


def install_theme(upload_path: str, theme: str) -> Path:
    dest = THEMES / theme
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(upload_path, "r:gz") as tar:
        tar.extractall(dest)
    return dest
