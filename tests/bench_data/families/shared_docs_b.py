from flask import Flask, jsonify, request
from flask_login import current_user, login_required
from pymongo import MongoClient

app = Flask(__name__)
db = MongoClient("mongodb://mongo:27017")["docs"]


@app.get("/docs/shared")
@login_required
def shared_with_me():
    label = request.args.get("label", "")
    query = {
        "$where": "this.shared_with.indexOf('%s') >= 0 && this.label == '%s'"
        % (current_user.email, label)
    }
    docs = db.documents.find(query, {"_id": 0, "title": 1, "label": 1}).limit(100)
    return jsonify(list(docs))


@app.get("/docs/count")
@login_required
def count():
    return jsonify(n=db.documents.count_documents({"owner": current_user.email}))
