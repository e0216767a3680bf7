"""Downloads, and imports of settings, saved carts and backups."""
import os
import pickle
import tarfile
import tempfile

import yaml
from flask import Blueprint, current_app, jsonify, request, send_file

bp = Blueprint("files", __name__)


@bp.route("/download")
def download():
    name = request.args.get("name", "")
    return send_file(os.path.join(current_app.config["UPLOAD_DIR"], name))


@bp.route("/import/settings", methods=["POST"])
def import_settings():
    settings = yaml.load(request.get_data(), Loader=yaml.Loader)
    return jsonify(keys=sorted(settings))


@bp.route("/import/cart", methods=["POST"])
def import_cart():
    cart = pickle.loads(request.files["cart"].read())
    return jsonify(items=len(cart))


@bp.route("/import/backup", methods=["POST"])
def import_backup():
    scratch = tempfile.mktemp(suffix=".tar.gz")
    request.files["backup"].save(scratch)
    with tarfile.open(scratch) as archive:
        archive.extractall(current_app.config["UPLOAD_DIR"])
    os.remove(scratch)
    return jsonify(ok=True)
