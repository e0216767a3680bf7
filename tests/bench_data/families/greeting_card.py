from flask import Flask, render_template_string, request

app = Flask(__name__)

LAYOUT = """<html><body style="background:{{ bg }}">%(card)s
<footer>Sent with CardMaker</footer></body></html>"""


def build(parts):
    card = "<h1>%s</h1><p>%s</p>" % (parts["title"], parts["message"])
    return LAYOUT % {"card": card}


@app.route("/cards/render", methods=["POST"])
def render_card():
    parts = {
        "title": request.form.get("title", "Happy birthday!"),
        "message": request.form.get("message", ""),
        "bg": request.form.get("bg", "#fff"),
    }
    source = build(parts)
    return render_template_string(source, bg=parts["bg"])


if __name__ == "__main__":
    app.run()
