import re

from fastapi import FastAPI, Query
from motor.motor_asyncio import AsyncIOMotorClient

app = FastAPI()
client = AsyncIOMotorClient("mongodb://mongo:27017")
people = client.hr.people


@app.get("/people")
async def search_people(name: str = Query("", max_length=100), dept: str = "all"):
    flt = {"active": True}
    if name:
        flt["name"] = {"$regex": "^" + re.escape(name), "$options": "i"}
    if dept != "all":
        flt["department"] = dept
    cursor = people.find(flt, {"_id": 0, "name": 1, "title": 1, "department": 1})
    return {"results": await cursor.to_list(length=50)}


@app.get("/people/{employee_id}")
async def get_person(employee_id: int):
    doc = await people.find_one({"employee_id": employee_id}, {"_id": 0})
    return doc or {"error": "not found"}
