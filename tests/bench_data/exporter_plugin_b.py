from flask import Flask, request, abort

from .exporters import csv_export, json_export, xlsx_export

app = Flask(__name__)
EXPORTERS = {"csv": csv_export, "json": json_export, "xlsx": xlsx_export}


@app.route("/export")
def export():
    exporter = EXPORTERS.get(request.args.get("format", "csv"))
    if exporter is None:
        abort(400)
    return exporter(request.args.get("dataset"))
