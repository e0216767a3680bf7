from flask import Flask, request, render_template_string

app = Flask(__name__)

CARD = "<div class='card'><h2>{{ title }}</h2><p>{{ body }}</p></div>"


@app.route("/card")
def card():
    title = request.args.get("title", "Greetings")
    return render_template_string(CARD, title=title, body="Thanks for visiting")
