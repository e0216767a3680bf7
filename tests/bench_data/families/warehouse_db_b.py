import logging
import os

import psycopg2
from psycopg2.extras import RealDictCursor

log = logging.getLogger("warehouse")

DB_HOST = os.environ.get("WAREHOUSE_HOST", "warehouse.internal")
DB_NAME = "analytics"
DB_USER = "etl_loader"
DB_PASSWORD = os.environ["WAREHOUSE_PASSWORD"]


def connect():
    log.info("connecting to %s/%s as %s", DB_HOST, DB_NAME, DB_USER)
    return psycopg2.connect(
        host=DB_HOST,
        dbname=DB_NAME,
        user=DB_USER,
        password=DB_PASSWORD,
        connect_timeout=10,
        cursor_factory=RealDictCursor,
    )


def latest_load(table):
    with connect() as conn, conn.cursor() as cur:
        cur.execute("SELECT max(loaded_at) AS ts FROM etl_runs WHERE target = %s", (table,))
        return cur.fetchone()["ts"]
