"""Reporting helpers: the filter is built in one place and executed in another."""
import sqlite3

from flask import Flask, request, jsonify

app = Flask(__name__)
FILTER_COLUMNS = {"region", "channel"}


def build_filter(column, value):
    if column not in FILTER_COLUMNS:
        raise ValueError(column)
    return f"{column} = ?", (value,)


def fetch_rows(conn, where):
    clause, params = where
    sql = "SELECT id, region, amount FROM sales WHERE " + clause
    return conn.execute(sql, params).fetchall()


@app.route("/reports/sales")
def sales():
    conn = sqlite3.connect("reports.db")
    rows = fetch_rows(conn, build_filter("region", request.args.get("region", "")))
    return jsonify(rows)
