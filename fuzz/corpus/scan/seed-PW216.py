from flask import Flask, jsonify, request

from app.models import Profile, User, db

app = Flask(__name__)
ALLOWED = ("name", "email")


@app.route("/register", methods=["POST"])
def register():
    user = User(**request.get_json())  # ruleid: PW216
    profile = Profile(**request.form)  # ruleid: PW216
    User.query.filter_by(id=user.id).update(**request.json)  # ruleid: PW216
    profile.__dict__.update(request.form)  # ruleid: PW216
    vars(profile).update(request.json)  # ruleid: PW216
    for key, value in request.json.items():
        setattr(user, key, value)  # ruleid: PW216
    body = request.get_json()
    safe = User(**{k: body[k] for k in ALLOWED if k in body})  # ok: PW216
    for key in ALLOWED:
        setattr(safe, key, body.get(key))  # ok: PW216
    db.session.add(user)
    return jsonify(**request.json)  # ok: PW216


def django_view(request):
    User.objects.create(**request.POST.dict())  # ruleid: PW216
    return dict(**request.GET)  # ok: PW216
