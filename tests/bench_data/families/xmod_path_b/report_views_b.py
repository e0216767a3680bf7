import mimetypes
import os

from flask import Blueprint, Response, abort, request
from flask_login import login_required

from report_store_b import list_reports, read_report

bp = Blueprint("reports", __name__)


@bp.get("/reports")
@login_required
def index():
    return {"reports": list_reports()}


@bp.get("/reports/file")
@login_required
def download():
    name = request.args.get("name", "")
    name = os.path.basename(name)
    if name not in list_reports():
        abort(404)
    try:
        data = read_report(name)
    except (FileNotFoundError, IsADirectoryError):
        abort(404)
    mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return Response(data, mimetype=mime)
