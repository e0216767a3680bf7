import logging
import subprocess
from functools import lru_cache

from flask import Flask, jsonify

app = Flask(__name__)
log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def build_info():
    def git(*args):
        return subprocess.run(
            ["git", *args], capture_output=True, text=True, check=True, timeout=5
        ).stdout.strip()

    try:
        return {
            "commit": git("rev-parse", "--short", "HEAD"),
            "branch": git("rev-parse", "--abbrev-ref", "HEAD"),
            "dirty": bool(git("status", "--porcelain")),
        }
    except (subprocess.SubprocessError, FileNotFoundError):
        log.warning("git metadata unavailable")
        return {"commit": "unknown"}


@app.get("/version")
def version():
    uptime = subprocess.check_output("uptime -p", shell=True, text=True).strip()
    return jsonify(build=build_info(), uptime=uptime)
