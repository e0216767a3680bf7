import time

from fastapi import FastAPI
from flask import Flask, request

app = Flask(__name__)
api = FastAPI()
MAX_CODES = 100


@app.route("/codes")
def codes():
    items = [str(i).zfill(6) for i in range(int(request.args.get("count", "10")))]  # ruleid: PW219
    count = min(int(request.args.get("count", "10")), MAX_CODES)
    bounded = [str(i) for i in range(count)]  # ok: PW219
    fixed = [str(i) for i in range(10)]  # ok: PW219
    time.sleep(float(request.args["delay"]))  # ruleid: PW219
    return {"codes": items, "b": bounded, "f": fixed}


@api.get("/padding")
def padding(size: int, delay: float):
    time.sleep(delay)  # ruleid: PW219
    time.sleep(min(delay, 2.0))  # ok: PW219
    buffer = bytearray(size)  # ruleid: PW219
    return {"n": len(buffer)}
