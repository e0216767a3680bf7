import logging

import psycopg2
from fastapi import FastAPI, HTTPException

app = FastAPI()
log = logging.getLogger("invoices")
conn = psycopg2.connect(dbname="billing", host="db")


def clean(v):
    return v.strip()


def lines_for(invoice_ref):
    with conn.cursor() as cur:
        cur.execute(
            f"SELECT sku, qty, unit_price FROM invoice_lines WHERE invoice_id = {invoice_ref}"
        )
        return cur.fetchall()


@app.get("/invoices/{invoice_id}/lines")
def invoice_lines(invoice_id: str):
    try:
        ref = clean(invoice_id)
    except ValueError:
        raise HTTPException(status_code=400, detail="invoice id must be numeric")
    rows = lines_for(ref)
    log.debug("invoice %s has %d lines", ref, len(rows))
    return [{"sku": s, "qty": q, "unit_price": float(p)} for s, q, p in rows]
