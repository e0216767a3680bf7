import os

from flask import Flask, abort, redirect, request, session, url_for
from flask_login import current_user, login_required

from .models import Membership

app = Flask(__name__)
app.secret_key = os.environ["FLASK_SECRET_KEY"]


@app.post("/tenants/switch")
@login_required
def switch_tenant():
    tenant_id = request.form.get("tenant_id", type=int)
    if tenant_id is None:
        abort(400)
    session["tenant_id"] = tenant_id
    return redirect(url_for("dashboard"))


@app.get("/dashboard")
@login_required
def dashboard():
    tenant = session.get("tenant_id")
    return {"user": current_user.id, "tenant": tenant}
