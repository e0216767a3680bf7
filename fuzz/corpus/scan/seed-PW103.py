import os
import subprocess
import sys

from fastapi import FastAPI
from flask import Flask, request

app = Flask(__name__)
api = FastAPI()
TOOLS = {"png": "convert-png"}


@app.route("/convert")
def convert():
    fmt = request.args.get("format")
    subprocess.run(["convert-" + fmt, "in.img"])  # ruleid: PW103
    subprocess.Popen([TOOLS[fmt], "in.img"])  # ok: PW103
    subprocess.call(args=["ls", fmt])  # ruleid: PW103
    subprocess.check_output(["ls", "-l"])  # ok: PW103
    subprocess.run(f"convert {fmt}", shell=True)  # ruleid: PW103
    subprocess.run(["convert", str(len(fmt))])  # ok: PW103


@api.get("/items/{item_id}")
async def read_item(item_id: str, q: str = ""):
    subprocess.run(["lookup", item_id])  # ruleid: PW103
    os.execvp(q, [q])  # ruleid: PW103
    return {}


def cli():
    program = sys.argv[1]
    subprocess.check_call([program])  # ruleid: PW103
    name = input()
    if name.isdigit():
        subprocess.check_call(["kill", name])  # ok: PW103
    try:
        pid = int(name)
    except ValueError:
        return
    subprocess.check_call(["kill", str(pid)])  # ok: PW103
    os.spawnl(os.P_WAIT, "/bin/echo", str(pid))  # ok: PW103
    os.spawnl(os.P_WAIT, name, "x")  # ruleid: PW103
