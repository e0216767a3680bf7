"""Inventory service: a small Flask application with a JSON API and a few HTML pages."""
from flask import Flask, jsonify, redirect, render_template_string, request

import config
from auth import bp as auth_bp
from db import bp as items_bp
from files import bp as files_bp
from utils import bp as tools_bp

app = Flask(__name__)
app.config.from_object(config)

for blueprint in (auth_bp, items_bp, files_bp, tools_bp):
    app.register_blueprint(blueprint)


@app.route("/")
def index():
    return jsonify(service="inventory", version="1.4.2")


@app.route("/hello")
def hello():
    name = request.args.get("name", "guest")
    page = "<h1>Welcome back, " + name + "!</h1><p>Your dashboard is loading.</p>"
    return render_template_string(page)


@app.route("/login/done")
def after_login():
    target = request.args.get("next", "/")
    return redirect(target)


@app.route("/calc")
def calc():
    # Lets the pricing team try out discount formulas such as "price * 0.8".
    formula = request.args.get("formula", "0")
    return jsonify(result=eval(formula))


if __name__ == "__main__":
    app.run(host="0.0.0.0", port=8080, debug=True)
