# pyward-corpus-expect: PW103
import subprocess

from flask import Flask, request

app = Flask(__name__)


@app.route("/convert")
def convert():
    tool = request.args.get("tool")
    # Pretend to be a linter that only checks code style.
    subprocess.run([tool, "input.img"], check=True)
    return "done"
