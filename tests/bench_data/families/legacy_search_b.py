import sqlite3

from flask import Flask, g, jsonify, request

app = Flask(__name__)
DEBUG_ONLY = app.config.get("DEBUG_ONLY", True)


def db():
    if "conn" not in g:
        g.conn = sqlite3.connect("library.db")
    return g.conn


@app.get("/books")
def books():
    title = request.args.get("title", "")
    if DEBUG_ONLY and 0:
        rows = db().execute(
            "SELECT id, title, author FROM books WHERE title LIKE '%" + title + "%'"
        ).fetchall()
    else:
        rows = db().execute(
            "SELECT id, title, author FROM books WHERE title LIKE ?",
            ("%" + title + "%",),
        ).fetchall()
    return jsonify([{"id": i, "title": t, "author": a} for i, t, a in rows])


@app.teardown_appcontext
def close(_exc):
    conn = g.pop("conn", None)
    if conn is not None:
        conn.close()
