from flask import Flask, request
from markupsafe import escape

app = Flask(__name__)

PAGE = """<!doctype html>
<html><head><title>Welcome</title></head>
<body>
  <header class="banner">{banner}</header>
  <main>Your workspace is ready.</main>
</body></html>"""


def banner_for(name, team):
    if team:
        return f"Hello {name}, welcome to team {team}!"
    return f"Hello {name}!"


@app.route("/welcome")
def welcome():
    name = escape(request.args.get("name", "guest"))
    team = escape(request.args.get("team", ""))
    return PAGE.format(banner=banner_for(name, team))


@app.route("/healthz")
def healthz():
    return "ok"
