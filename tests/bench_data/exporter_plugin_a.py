import importlib

from flask import Flask, request, abort

app = Flask(__name__)


@app.route("/export")
def export():
    fmt = request.args.get("format", "csv")
    module = importlib.import_module(fmt)
    exporter = getattr(module, request.args.get("fn", "export"))
    return exporter(request.args.get("dataset"))
