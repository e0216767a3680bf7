"""Admin command: prints row counts of the main tables."""
import sqlite3

TABLES = ("customers", "orders", "order_items", "products")


def row_counts(db_path: str) -> dict[str, int]:
    conn = sqlite3.connect(db_path)
    try:
        return {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in TABLES}
    finally:
        conn.close()


if __name__ == "__main__":
    for table, n in row_counts("app.db").items():
        print(f"{table:12} {n}")
