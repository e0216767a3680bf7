import logging
import os
import tempfile

LOCK_FILE = "/tmp/myapp.lock"  # ruleid: PW391
SPOOL_DIR = tempfile.mkdtemp()  # ruleid: PW391
open("/tmp/report.csv", "w")  # ruleid: PW391
os.makedirs("/var/tmp/cache/", exist_ok=True)  # ruleid: PW391
logging.FileHandler(filename="/dev/shm/app.log")  # ruleid: PW391


def dump(name):
    return open(f"/tmp/{name}.json", "w")  # ruleid: PW391


fd, path = tempfile.mkstemp(dir="/tmp")  # ok: PW391
handle = tempfile.NamedTemporaryFile(prefix="report-")  # ok: PW391
CACHE = "/var/cache/myapp"  # ok: PW391
TMPL = "/tmpl/index.html"  # ok: PW391
