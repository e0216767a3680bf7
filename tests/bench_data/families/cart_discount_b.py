import flask
from flask import Blueprint, request, jsonify

bp = Blueprint("cart", __name__, url_prefix="/cart")

PROMO_CODES = {"SPRING10": 10, "WELCOME5": 5}


@bp.post("/promo")
def apply_promo():
    body = request.get_json(force=True)
    code = str(body.get("code", "")).upper()
    pct = body.get("percent", PROMO_CODES.get(code, 0))
    flask.session["discount_pct"] = pct
    return jsonify(applied=code, percent=pct)


@bp.get("/total")
def total():
    items = flask.session.get("items", [])
    subtotal = sum(i["price"] * i["qty"] for i in items)
    pct = flask.session.get("discount_pct", 0)
    return jsonify(subtotal=subtotal, total=round(subtotal * (100 - pct) / 100, 2))
