from flask import Flask, request, send_from_directory

app = Flask(__name__)
REPORTS = "/srv/app/reports"


@app.route("/reports/download")
def download():
    name = request.args["name"]
    return send_from_directory(REPORTS, name, as_attachment=True)
