from lxml import etree
from flask import Flask, request

app = Flask(__name__)


@app.route("/invoices", methods=["POST"])
def upload_invoice():
    parser = etree.XMLParser(resolve_entities=True, no_network=False)
    doc = etree.fromstring(request.data, parser)
    total = doc.findtext("total")
    return {"total": total}
