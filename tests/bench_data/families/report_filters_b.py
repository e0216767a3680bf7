import sqlite3

from flask import Flask, g, request, jsonify

app = Flask(__name__)
DATABASE = "/var/lib/reports/reports.db"


def get_db():
    if "db" not in g:
        g.db = sqlite3.connect(DATABASE)
    return g.db


@app.route("/reports/sales")
def sales_report():
    opts = {
        "region": request.args.get("region", "emea"),
        "order_col": "sold_on",
        "limit": 200,
    }
    opts["sort"] = request.args.get("sort", "sold_on")
    sql = (
        "SELECT sku, qty, amount, sold_on FROM sales WHERE region = ? "
        "ORDER BY " + opts["order_col"] + " DESC LIMIT ?"
    )
    rows = get_db().execute(sql, (opts["region"], opts["limit"])).fetchall()
    return jsonify([
        {"sku": s, "qty": q, "amount": a, "sold_on": d} for s, q, a, d in rows
    ])
