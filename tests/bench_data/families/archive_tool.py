import argparse
import logging
import shutil
import subprocess
import sys
from pathlib import Path

log = logging.getLogger("archive")
ARCHIVE_DIR = Path("/var/backups/site")


def run(args):
    log.info("+ %s", " ".join(args))
    subprocess.run(args, check=True)


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--keep", type=int, default=7)
    opts = parser.parse_args(argv)
    if shutil.which("tar") is None:
        sys.exit("tar not installed")
    ARCHIVE_DIR.mkdir(parents=True, exist_ok=True)
    run(["tar", "-czf", str(ARCHIVE_DIR / "site.tgz"), "-C", "/srv", "site"])
    run(["sync"])
    old = sorted(ARCHIVE_DIR.glob("site-*.tgz"))[:-opts.keep]
    for path in old:
        path.unlink()
    subprocess.call("df -h /var/backups", shell=True)


if __name__ == "__main__":
    main()
