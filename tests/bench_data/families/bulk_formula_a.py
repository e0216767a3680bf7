import ast
import logging

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel

app = FastAPI()
logger = logging.getLogger("formulas")


class Batch(BaseModel):
    values: list[str]
    scale: float = 1.0


def parse_all(items):
    return [float(ast.literal_eval(item)) for item in items]


@app.post("/batch/normalise")
def normalise(batch: Batch):
    if len(batch.values) > 500:
        raise HTTPException(status_code=413, detail="too many values")
    try:
        numbers = parse_all(batch.values)
    except Exception:
        logger.exception("could not parse batch")
        raise HTTPException(status_code=422, detail="unparseable value")
    total = sum(numbers) or 1
    return {"normalised": [n * batch.scale / total for n in numbers]}
