import json
from flask import Flask, request
from pymongo import MongoClient

app = Flask(__name__)
db = MongoClient("mongodb://localhost:27017").shop


@app.route("/login", methods=["POST"])
def login():
    body = request.get_json()
    user = db.users.find_one({"name": str(body["name"]), "password": str(body["password"])})  # ruleid: PW211
    orders = list(db.orders.find({"customer": str(body["name"])}))  # ruleid: PW211
    removed = db.carts.delete_many({"owner": str(body["owner"])})  # ruleid: PW211
    safe = db.users.find_one({"name": str(body["name"])})  # ok: PW211
    fixed = db.users.find_one({"active": True})  # ok: PW211
    position = body["name"].find("@")  # ok: PW211
    return {"ok": bool(user), "n": len(orders), "d": removed.deleted_count, "s": bool(safe), "f": bool(fixed), "p": position}


@app.route("/events", methods=["POST"])
def query_events():
    criteria = json.loads(request.data or b"{}")
    criteria["tenant"] = "t1"
    rows = db.events.find(criteria, {"_id": 0})  # ruleid: PW211
    return {"rows": list(rows)}


@app.get("/people")
def people(dept: str = "all"):
    return list(db.people.find({"department": dept}))  # ok: PW211
