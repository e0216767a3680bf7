import re

from fastapi import FastAPI
from flask import request

app = FastAPI()


@app.get("/people")
async def search_people(people, name: str, dept: str = "all"):
    flt = {"active": True}
    if name:
        flt["name"] = {"$regex": name, "$options": "i"}  # ruleid: PW209
    if dept != "all":
        flt["department"] = dept  # ok: PW209
    flt["title"] = {"$regex": "^" + re.escape(name)}  # ok: PW209
    flt["team"] = {"$regex": "^eng"}  # ok: PW209
    return await people.find(flt).to_list(length=50)


def flask_search(db):
    term = request.args.get("q", "")
    return list(db.items.find({"title": {"$regex": term}}))  # ruleid: PW209
