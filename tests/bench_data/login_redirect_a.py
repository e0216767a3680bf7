from flask import Flask, request, redirect, session

app = Flask(__name__)


@app.route("/login", methods=["POST"])
def login():
    if check_credentials(request.form["user"], request.form["password"]):
        session["user"] = request.form["user"]
        return redirect(request.args.get("next", "/"))
    return redirect("/login?failed=1")


def check_credentials(user, password):
    return False
