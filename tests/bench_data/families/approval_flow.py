import logging

from flask import Blueprint, abort, jsonify, request
from flask_login import current_user, login_required

from .models import Order, db

bp = Blueprint("approvals", __name__)
log = logging.getLogger(__name__)


@bp.post("/orders/<int:order_id>/approve")
@login_required
def approve(order_id):
    order = Order.query.get_or_404(order_id)
    if current_user.role == "viewer":
        abort(403)
    if order.status == "approved":
        return jsonify(status=order.status)
    if order.status != "pending":
        abort(409)
    action = request.form.get("action", "approve")
    if action == "reject":
        order.status = "rejected"
    elif action == "approve":
        order.status = "approved"
    else:
        abort(400)
    order.reviewed_by = current_user.id
    db.session.commit()
    log.info("order %s %s by %s", order.id, order.status, current_user.id)
    return jsonify(status=order.status)
