"""Inventory service: a small Flask application with a JSON API and a few HTML pages."""
import ast
import operator
import os

from flask import Flask, abort, jsonify, redirect, render_template_string, request, url_for

import config
from auth import bp as auth_bp
from db import bp as items_bp
from files import bp as files_bp
from utils import bp as tools_bp

app = Flask(__name__)
app.config.from_object(config)

for blueprint in (auth_bp, items_bp, files_bp, tools_bp):
    app.register_blueprint(blueprint)

# Where a login may continue to: page name -> endpoint.
NEXT_PAGES = {"dashboard": "index", "items": "items.search_items", "account": "auth.me"}

WELCOME_PAGE = "<h1>Welcome back, {{ name }}!</h1><p>Your dashboard is loading.</p>"

# The operators a discount formula may use.
FORMULA_OPERATORS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}


@app.route("/")
def index():
    return jsonify(service="inventory", version="1.4.3")


@app.route("/hello")
def hello():
    # The template is a constant; the name is data, auto-escaped by Jinja.
    return render_template_string(WELCOME_PAGE, name=request.args.get("name", "guest"))


@app.route("/login/done")
def after_login():
    # Clients name the page to continue to; the server owns the URLs, so a crafted link
    # cannot send a freshly signed-in user to another site.
    page = request.args.get("next", "dashboard")
    if page not in NEXT_PAGES:
        page = "dashboard"
    return redirect(url_for(NEXT_PAGES[page]))


def evaluate_formula(node, price):
    """Evaluates a parsed formula made of numbers, `price` and + - * /."""
    if isinstance(node, ast.Expression):
        return evaluate_formula(node.body, price)
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return node.value
    if isinstance(node, ast.Name) and node.id == "price":
        return price
    if isinstance(node, ast.BinOp) and type(node.op) in FORMULA_OPERATORS:
        left = evaluate_formula(node.left, price)
        right = evaluate_formula(node.right, price)
        return FORMULA_OPERATORS[type(node.op)](left, right)
    raise ValueError("unsupported formula")


@app.route("/calc")
def calc():
    # Lets the pricing team try out discount formulas such as "price * 0.8".
    formula = request.args.get("formula", "0")
    price = request.args.get("price", 100, type=float)
    try:
        tree = ast.parse(formula, mode="eval")
        return jsonify(result=evaluate_formula(tree, price))
    except (SyntaxError, ValueError, ZeroDivisionError):
        abort(400)


if __name__ == "__main__":
    # Local development only; production runs under gunicorn behind the proxy.
    app.run(host="127.0.0.1", port=8080, debug=os.environ.get("FLASK_DEBUG") == "1")
