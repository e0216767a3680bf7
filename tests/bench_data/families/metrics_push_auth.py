import os

from fastapi import FastAPI, Header, HTTPException, Request

app = FastAPI()
INGEST_TOKEN = os.environ["METRICS_INGEST_TOKEN"]
SERIES = []


def authorised(header_value: str) -> bool:
    scheme, _, supplied = header_value.partition(" ")
    return scheme.lower() == "bearer" and supplied == INGEST_TOKEN


@app.post("/ingest")
async def ingest(request: Request, authorization: str = Header("")):
    if not authorised(authorization):
        raise HTTPException(status_code=401, detail="bad token")
    points = await request.json()
    if not isinstance(points, list):
        raise HTTPException(status_code=400, detail="expected a list")
    SERIES.extend(points[:1000])
    return {"accepted": min(len(points), 1000)}
