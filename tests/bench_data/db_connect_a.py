import psycopg2

DB_HOST = "db.internal.example.com"
DB_USER = "billing"
DB_PASSWORD = "Sup3r-S3cret-2024!"


def get_connection():
    return psycopg2.connect(host=DB_HOST, user=DB_USER, password=DB_PASSWORD, dbname="billing")
