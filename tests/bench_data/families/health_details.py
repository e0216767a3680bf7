import logging
import traceback

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from sqlalchemy import text

from .db import engine

app = FastAPI()
logger = logging.getLogger("health")


@app.get("/health/db")
def db_health():
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        logger.error("database check failed: %s\n%s", exc, traceback.format_exc())
        return JSONResponse({"db": "down"}, status_code=503)
    return {"db": "up"}


@app.exception_handler(Exception)
async def unhandled(request, exc):
    logger.exception("unhandled error on %s", request.url.path)
    return JSONResponse({"error": "internal server error"}, status_code=500)
