"""Reporting helpers: the filter is built in one place and executed in another."""
import sqlite3

from flask import Flask, request, jsonify

app = Flask(__name__)


def build_filter(column, value):
    return "%s = '%s'" % (column, value)


def fetch_rows(conn, where):
    sql = "SELECT id, region, amount FROM sales WHERE " + where
    return conn.execute(sql).fetchall()


@app.route("/reports/sales")
def sales():
    conn = sqlite3.connect("reports.db")
    rows = fetch_rows(conn, build_filter("region", request.args.get("region", "")))
    return jsonify(rows)
