from flask import Blueprint, Flask, request
from markupsafe import escape

app = Flask(__name__)
bp = Blueprint("pages", __name__)


@app.route("/hello/<name>")
def hello(name):
    return f"<h1>Hello {name}</h1>"  # ruleid: PW143


@bp.get("/search")
def search():
    return f"<p>Results for {request.args['q']}</p>"  # ruleid: PW143


@app.route("/tag/<tag>")
def tag(tag):
    return "<span class='tag'>" + tag + "</span>"  # ruleid: PW143


@app.route("/safe/<name>")
def safe(name):
    return f"<h1>Hello {escape(name)}</h1>"  # ok: PW143


@app.route("/plain/<name>")
def plain(name):
    return f"Hello {name}"  # ok: PW143


@app.route("/count")
def count():
    total = 3
    return f"<p>{total} items</p>"  # ok: PW143


def not_a_view(name):
    return f"<b>{name}</b>"  # ok: PW143
