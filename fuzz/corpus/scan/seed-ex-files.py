"""Downloads, and imports of settings, saved carts and backups."""
import json
import os
import tarfile
import tempfile

import yaml
from flask import Blueprint, abort, current_app, jsonify, request, send_from_directory
from werkzeug.utils import secure_filename

bp = Blueprint("files", __name__)


@bp.route("/download")
def download():
    name = secure_filename(request.args.get("name", ""))
    if not name:
        abort(404)
    # send_from_directory refuses paths that leave the directory.
    return send_from_directory(current_app.config["UPLOAD_DIR"], name)


@bp.route("/import/settings", methods=["POST"])
def import_settings():
    settings = yaml.safe_load(request.get_data())
    if not isinstance(settings, dict):
        abort(400)
    return jsonify(keys=sorted(settings))


@bp.route("/import/cart", methods=["POST"])
def import_cart():
    # Carts are exchanged as JSON: plain data, no objects.
    cart = json.loads(request.files["cart"].read())
    if not isinstance(cart, list):
        abort(400)
    return jsonify(items=len(cart))


@bp.route("/import/backup", methods=["POST"])
def import_backup():
    fd, scratch = tempfile.mkstemp(suffix=".tar.gz")
    try:
        with os.fdopen(fd, "wb") as out:
            request.files["backup"].save(out)
        with tarfile.open(scratch) as archive:
            # The "data" filter rejects absolute paths, "..", links out of the tree and devices.
            archive.extractall(current_app.config["UPLOAD_DIR"], filter="data")
    finally:
        os.remove(scratch)
    return jsonify(ok=True)
