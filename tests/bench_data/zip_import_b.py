"""Imports a user-uploaded zip of product photos."""
import os
import zipfile

MEDIA = os.path.realpath("/srv/shop/media")


def import_photos(zip_path: str) -> int:
    count = 0
    with zipfile.ZipFile(zip_path) as zf:
        for member in zf.infolist():
            if member.is_dir():
                continue
            target = os.path.realpath(os.path.join(MEDIA, member.filename))
            if os.path.commonpath([MEDIA, target]) != MEDIA:
                raise ValueError(f"unsafe member {member.filename!r}")
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with zf.open(member) as src, open(target, "wb") as dst:
                dst.write(src.read())
            count += 1
    return count
