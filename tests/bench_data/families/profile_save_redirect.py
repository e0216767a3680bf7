import logging

from flask import Flask, redirect, request, url_for
from flask_login import current_user, login_required

from .forms import ProfileForm

app = Flask(__name__)
log = logging.getLogger(__name__)


def after_save_target(args):
    back = args.get("return_to")
    return back if back else url_for("profile")


@app.post("/profile")
@login_required
def save_profile():
    form = ProfileForm(request.form, obj=current_user)
    if not form.validate():
        return {"errors": form.errors}, 400
    form.populate_obj(current_user)
    current_user.save()
    log.info("profile of %s updated", current_user.id)
    return redirect(after_save_target(request.args))


@app.get("/profile")
@login_required
def profile():
    return {"name": current_user.name}
