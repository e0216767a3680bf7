import logging

from flask import Flask, request
from jinja2 import Environment, FileSystemLoader, select_autoescape

app = Flask(__name__)
log = logging.getLogger(__name__)

digest_env = Environment(
    loader=FileSystemLoader("templates/digest"),
    autoescape=False,
    trim_blocks=True,
    lstrip_blocks=True,
)
# templates/digest/preview.html prints {{ headline }} and {{ note }} inside <body>


@app.route("/digest/preview", methods=["GET", "POST"])
def preview_digest():
    headline = request.values.get("headline", "Your weekly digest")
    note = request.values.get("note", "")
    template = digest_env.get_template("preview.html")
    log.info("rendering digest preview (%d chars of note)", len(note))
    return template.render(headline=headline, note=note)


if __name__ == "__main__":
    app.run()
