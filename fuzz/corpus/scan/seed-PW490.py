from datetime import timedelta

from flask import Flask

app = Flask(__name__)
PERMANENT_SESSION_LIFETIME = timedelta(days=365)  # ruleid: PW490
app.permanent_session_lifetime = timedelta(weeks=52)  # ruleid: PW490
SESSION_COOKIE_AGE = 31536000  # ruleid: PW490
SESSION_COOKIE_AGE = 60 * 60 * 24 * 365  # ruleid: PW490
JWT_ACCESS_TOKEN_EXPIRES = False  # ruleid: PW490
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(days=30),  # ruleid: PW490
    "REFRESH_TOKEN_LIFETIME": timedelta(days=30),  # ok: PW490
}
ACCESS_TOKEN_EXPIRE_MINUTES = 60 * 24 * 8  # ruleid: PW490
PERMANENT_SESSION_LIFETIME = timedelta(hours=12)  # ok: PW490
app.permanent_session_lifetime = timedelta(days=7)  # ok: PW490
SESSION_COOKIE_AGE = 1209600  # ok: PW490
JWT_ACCESS_TOKEN_EXPIRES = timedelta(minutes=15)  # ok: PW490
ACCESS_TOKEN_EXPIRE_MINUTES = 30  # ok: PW490
