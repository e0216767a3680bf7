import ipaddress
import logging
import os
import subprocess
from concurrent.futures import ThreadPoolExecutor

from flask import Flask, jsonify, request

app = Flask(__name__)
executor = ThreadPoolExecutor(max_workers=4)
log = logging.getLogger(__name__)
JOBS = {}


@app.post("/hosts/check")
def check_host():
    try:
        host = str(ipaddress.ip_address(request.form.get("host", "")))
    except ValueError:
        return jsonify(error="IP address required"), 400
    cmd = ["nc", "-z", "-w", "2", host, "443"]
    future = executor.submit(lambda: subprocess.run(cmd, capture_output=True).returncode)
    job_id = str(id(future))
    JOBS[job_id] = future
    log.info("queued reachability check %s", job_id)
    return jsonify(job=job_id), 202


@app.get("/hosts/check/<job_id>")
def check_result(job_id):
    future = JOBS.get(job_id)
    if future is None:
        return jsonify(error="unknown job"), 404
    if not future.done():
        return jsonify(state="running")
    return jsonify(state="done", reachable=future.result() == 0)
