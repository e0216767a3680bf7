import pymysql
from flask import Flask, request, jsonify
from flask.views import MethodView


class AccountDao:
    def __init__(self, conn):
        self.conn = conn

    def by_email(self, email):
        with self.conn.cursor() as cur:
            cur.execute(
                "SELECT id, email, display_name, created_at FROM accounts "
                "WHERE email = %s",
                (email,),
            )
            return cur.fetchone()

    def count(self):
        with self.conn.cursor() as cur:
            cur.execute("SELECT COUNT(*) FROM accounts")
            return cur.fetchone()[0]


class AccountLookup(MethodView):
    def __init__(self, dao):
        self.dao = dao

    def get(self):
        email = request.args.get("email", "").strip().lower()
        row = self.dao.by_email(email)
        if row is None:
            return jsonify(found=False, total=self.dao.count()), 404
        return jsonify(found=True, id=row[0], name=row[2])


def create_app():
    app = Flask(__name__)
    conn = pymysql.connect(host="db", user="app", database="accounts",
                           password=app.config.get("DB_PASSWORD", ""))
    app.add_url_rule("/accounts/lookup",
                     view_func=AccountLookup.as_view("lookup", AccountDao(conn)))
    return app
