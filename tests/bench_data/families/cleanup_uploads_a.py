import logging
import os
from multiprocessing.pool import ThreadPool

from flask import Blueprint, jsonify, request
from flask_login import current_user, login_required

bp = Blueprint("uploads", __name__)
UPLOAD_ROOT = "/srv/uploads"
log = logging.getLogger(__name__)


def user_dir(uid):
    return os.path.join(UPLOAD_ROOT, str(uid))


@bp.post("/uploads/delete")
@login_required
def delete_uploads():
    names = request.get_json(force=True).get("files", [])
    base = user_dir(current_user.id)
    paths = [os.path.join(base, n) for n in names]
    paths = [p for p in paths if os.path.isfile(p)]
    with ThreadPool(4) as pool:
        pool.map(os.remove, paths)
    log.info("user %s removed %d files", current_user.id, len(paths))
    return jsonify(removed=len(paths))
