import re
import subprocess

from flask import Flask, request, abort, jsonify

app = Flask(__name__)
REPO = "/srv/git/website"
BRANCH_RE = re.compile(r"[A-Za-z0-9._/-]{1,100}")


@app.route("/history")
def history():
    branch = request.args.get("branch", "main")
    if not BRANCH_RE.fullmatch(branch) or branch.startswith("-"):
        abort(400)
    out = subprocess.run(
        ["git", "-C", REPO, "log", "--oneline", "-n", "20", branch, "--"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return jsonify(out.splitlines())
