from flask import Flask, jsonify, request

app = Flask(__name__)
app.config["JSON_SORT_KEYS"] = False

DEFAULT_TITLE = "Untitled"


def normalise(title):
    title = " ".join(title.split())
    return title[:120] or DEFAULT_TITLE


@app.route("/preview/title")
def title_preview():
    title = normalise(request.args.get("title", ""))
    words = len(title.split())
    return "<h1>%s</h1><small>%d words</small>" % (title, words)


@app.errorhandler(404)
def not_found(_err):
    return jsonify(error="not found"), 404


if __name__ == "__main__":
    app.run(port=5001)
