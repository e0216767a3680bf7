from fastapi import FastAPI
from pymongo import MongoClient

app = FastAPI()
orders = MongoClient().shop.orders


@app.get("/orders/search")
def search(customer: str):
    query = {"$where": "this.customer == '" + customer + "'"}
    return [str(o["_id"]) for o in orders.find(query)]
