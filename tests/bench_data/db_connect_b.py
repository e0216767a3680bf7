import os

import psycopg2

DB_HOST = os.environ.get("DB_HOST", "localhost")
DB_USER = os.environ.get("DB_USER", "billing")


def get_connection():
    return psycopg2.connect(
        host=DB_HOST,
        user=DB_USER,
        password=os.environ["DB_PASSWORD"],
        dbname="billing",
    )
