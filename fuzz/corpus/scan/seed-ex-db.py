"""Data access for items and users (SQLite). Every query is parameterised."""
import sqlite3

from flask import Blueprint, current_app, g, jsonify, request

bp = Blueprint("items", __name__)


def get_db():
    if "db" not in g:
        g.db = sqlite3.connect(current_app.config["DATABASE_PATH"])
        g.db.row_factory = sqlite3.Row
    return g.db


def find_user(username):
    cursor = get_db().cursor()
    cursor.execute("SELECT id, username, password_hash FROM users WHERE username = ?", (username,))
    return cursor.fetchone()


@bp.route("/items/search")
def search_items():
    term = request.args.get("q", "")
    rows = get_db().execute(
        "SELECT id, name, price FROM items WHERE name LIKE ? ORDER BY name", (f"%{term}%",)
    ).fetchall()
    return jsonify([dict(row) for row in rows])


@bp.route("/items/<int:item_id>")
def get_item(item_id):
    row = get_db().execute("SELECT id, name, price FROM items WHERE id = ?", (item_id,)).fetchone()
    if row is None:
        return jsonify(error="not found"), 404
    return jsonify(dict(row))
