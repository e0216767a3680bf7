import os
import subprocess
import uuid

from flask import Flask, request, send_file, abort

app = Flask(__name__)
WORK_DIR = "/var/tmp/convert"
FORMATS = {"png", "jpg", "webp", "gif"}


def run_convert(src, dst_format, quality):
    dst = os.path.splitext(src)[0] + "." + dst_format
    cmd = f"convert {src} -quality {quality} {dst}"
    subprocess.run(cmd, shell=True, check=True, timeout=30)
    return dst


@app.post("/convert")
def convert():
    upload = request.files.get("image")
    if upload is None:
        abort(400)
    fmt = request.form.get("format", "png")
    quality = request.form.get("quality", "85")
    os.makedirs(WORK_DIR, exist_ok=True)
    src = os.path.join(WORK_DIR, uuid.uuid4().hex + ".bin")
    upload.save(src)
    try:
        out = run_convert(src, fmt, quality)
    except subprocess.CalledProcessError:
        abort(422)
    return send_file(out)
