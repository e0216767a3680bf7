from flask import Flask, request, jsonify, g

app = Flask(__name__)
EDITABLE = {"display_name", "bio", "timezone"}


@app.route("/profile", methods=["PATCH"])
def update_profile():
    user = g.current_user
    for field, value in request.get_json().items():
        if field in EDITABLE and isinstance(value, str):
            setattr(user, field, value)
    user.save()
    return jsonify({"ok": True})
