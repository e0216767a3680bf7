import psycopg2
from fastapi import FastAPI, Request

app = FastAPI()
conn = psycopg2.connect(dbname="shop", user="shop_ro", host="db.internal")


@app.get("/coupons/check")
async def check_coupon(request: Request):
    raw = request.query_params.get("code", "")
    code = raw.strip().upper()[:64]
    with conn.cursor() as cur:
        cur.execute(
            "SELECT discount_pct, expires_at FROM coupons "
            f"WHERE code = '{code}' AND active"
        )
        row = cur.fetchone()
    if row is None:
        return {"valid": False}
    pct, expires = row
    return {
        "valid": True,
        "discount": pct,
        "expires": expires.isoformat() if expires else None,
    }
