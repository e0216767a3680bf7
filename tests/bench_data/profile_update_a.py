from flask import Flask, request, jsonify, g

app = Flask(__name__)


@app.route("/profile", methods=["PATCH"])
def update_profile():
    user = g.current_user
    for field, value in request.get_json().items():
        setattr(user, field, value)
    user.save()
    return jsonify({"ok": True})
