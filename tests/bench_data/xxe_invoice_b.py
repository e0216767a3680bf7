import defusedxml.ElementTree as ET
from flask import Flask, request

app = Flask(__name__)


@app.route("/invoices", methods=["POST"])
def upload_invoice():
    doc = ET.fromstring(request.data)
    total = doc.findtext("total")
    return {"total": total}
