from flask import Flask, abort, request, session
from werkzeug.security import check_password_hash
from .models import Membership

app = Flask(__name__)
TENANTS = {"acme", "globex"}
LANGS = ("en", "de", "fr")
PAGE_SIZES = {"small": 20, "large": 100}


@app.post("/tenant")
def switch_tenant():
    session["tenant"] = request.form["tenant"]  # ruleid: PW230
    return "", 204


@app.post("/tenant/checked")
def switch_tenant_checked():
    tenant = request.form["tenant"]
    if tenant not in TENANTS:
        abort(403)
    session["tenant"] = tenant  # ok: PW230
    return "", 204


@app.post("/page-size")
def page_size():
    session["size"] = int(request.args.get("size", "20"))  # ok: PW230
    session.update({"theme": request.args.get("theme")})  # ruleid: PW230
    return "", 204


@app.post("/login")
def login():
    user = find_user(request.form["name"])
    if user and check_password_hash(user.hash, request.form["password"]):
        session["user"] = request.form["name"]  # ok: PW230
        return "", 204
    abort(401)


def preferences(request):
    request.session["lang"] = request.GET.get("lang", "en")  # ruleid: PW230
    request.session["visits"] = request.session.get("visits", 0) + 1  # ok: PW230


@app.post("/team/switch")
def switch_team():
    team_id = request.form.get("team")
    member = Membership.query.filter_by(team_id=team_id).first()
    if member is None:
        abort(403)
    session["team"] = member.team_id  # ok: PW230
    session["team_label"] = "team-{}".format(request.form.get("label", "").strip())  # ruleid: PW230
    session["note"] = " ".join(request.form.getlist("notes"))  # ruleid: PW230
    return "", 204


def language(request):
    lang = request.GET.get("lang", "en")
    request.session["ui_lang"] = lang if lang in LANGS else "en"  # ruleid: PW230
    request.session["ui_lang_checked"] = lang if lang in LANGS else "en"  # ok: PW230
    layout = request.GET.get("layout", "small")
    request.session["rows"] = PAGE_SIZES.get(layout, 20)  # ruleid: PW230
