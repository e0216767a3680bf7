import ast
import pandas as pd
from fastapi import FastAPI
from flask import request

app = FastAPI()
FRAME = pd.read_parquet("/data/inventory.parquet")
COLUMNS = {"quantity", "reserved"}


@app.get("/inventory")
def inventory(where: str = "quantity > 0"):
    return FRAME.query(where).head(100)  # ruleid: PW126


@app.get("/inventory/by")
def inventory_by(column: str = "quantity"):
    if column not in COLUMNS:
        column = "quantity"
    return FRAME.query(f"{column} > 0").head(100)  # ok: PW126


def calc():
    expr = request.args.get("expr", "0")
    total = ast.literal_eval(expr)  # ruleid: PW126
    fixed = eval("1 + 2")  # ok: PW126
    rows = session.query(Invoice).all()  # ok: PW126
    return total, fixed, rows
