import logging
import re
import subprocess

from flask import Flask, abort, jsonify, request

app = Flask(__name__)
log = logging.getLogger("provision")
USERNAME = re.compile(r"[a-z][a-z0-9_-]{2,31}")


@app.post("/admin/accounts")
def provision():
    username = request.form.get("username", "")
    if not USERNAME.match(username):
        abort(400)
    shell = request.form.get("shell", "/bin/bash")
    if shell not in ("/bin/bash", "/bin/zsh"):
        abort(400)
    log.info("creating unix account %s", username)
    proc = subprocess.run(
        f"useradd --create-home --shell {shell} {username}",
        shell=True,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        log.error("useradd failed: %s", proc.stderr)
        return jsonify(created=False), 500
    return jsonify(created=True, username=username)
