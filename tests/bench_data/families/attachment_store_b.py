from pathlib import Path

from flask import Blueprint, Response, abort, request
from flask_login import login_required, current_user

bp = Blueprint("attachments", __name__)


class AttachmentStore:
    def __init__(self, root):
        self.root = Path(root)

    def path_for(self, owner_id, filename):
        return self.root / str(owner_id) / filename

    def read(self, owner_id, filename):
        base = (self.root / str(owner_id)).resolve()
        target = self.path_for(owner_id, filename).resolve()
        if not target.is_relative_to(base) or not target.is_file():
            return None
        return target.read_bytes()


store = AttachmentStore("/data/attachments")


@bp.route("/attachments/download")
@login_required
def download():
    name = request.args.get("name", "")
    data = store.read(current_user.id, name)
    if data is None:
        abort(404)
    return Response(
        data,
        mimetype="application/octet-stream",
        headers={"Content-Disposition": "attachment"},
    )
