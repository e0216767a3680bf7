import jinja2
from flask import Flask, render_template_string, request
from mako.template import Template as MakoTemplate

app = Flask(__name__)
env = jinja2.Environment(autoescape=True)


@app.route("/hello")
def hello():
    name = request.args.get("name", "world")
    if name == "admin":
        return render_template_string("<h1>Hello {{ name }}</h1>", name=name)  # ok: PW152
    if name == "guest":
        return env.from_string("<p>{{ who }}</p>").render(who=name)  # ok: PW152
    if len(name) > 40:
        return env.from_string("<p>{{ name }}</p>").render(name=name)  # ruleid: PW152
    return render_template_string("<h1>Hello {{ name }}</h1>", name=name)  # ruleid: PW152


@app.route("/preview", methods=["POST"])
def preview():
    body = request.form["body"]
    page = jinja2.Template(body, autoescape=True)  # ruleid: PW152
    legacy = MakoTemplate(text=body, default_filters=["h"])  # ruleid: PW152
    fixed = jinja2.Template("<div>{{ body }}</div>", autoescape=True)  # ok: PW152
    return page.render() + legacy.render() + fixed.render(body=body)
