import sqlite3

from fastapi import FastAPI

app = FastAPI()
DB = "catalog.db"


@app.get("/products")
def search(q: str, limit: int = 20):
    conn = sqlite3.connect(DB)
    try:
        cur = conn.execute(
            "SELECT id, name, price FROM products WHERE name LIKE ? LIMIT ?",
            (f"%{q}%", min(limit, 100)),
        )
        return [dict(zip(("id", "name", "price"), r)) for r in cur.fetchall()]
    finally:
        conn.close()
