from pathlib import Path

from flask import Flask, abort

app = Flask(__name__)
DOCS = Path(__file__).parent / "docs"
PAGES = {
    "intro": DOCS / "intro.md",
    "billing": DOCS / "billing.md",
    "privacy": DOCS / "privacy.md",
}


@app.route("/help/<page>")
def help_page(page):
    path = PAGES.get(page)
    if path is None:
        abort(404)
    return path.read_text(encoding="utf-8"), 200, {"Content-Type": "text/plain; charset=utf-8"}
