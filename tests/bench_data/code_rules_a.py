"""Lets admins upload small pricing rules as Python snippets."""
from fastapi import FastAPI
from pydantic import BaseModel

app = FastAPI()


class Rule(BaseModel):
    name: str
    body: str


@app.post("/rules/test")
def test_rule(rule: Rule):
    scope = {"price": 100.0}
    exec(rule.body, scope)
    return {"name": rule.name, "price": scope.get("price")}
