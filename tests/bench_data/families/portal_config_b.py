import os

from flask import Flask
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect


class BaseConfig:
    SECRET_KEY = os.environ.get("PORTAL_SECRET_KEY", "")
    SESSION_COOKIE_SECURE = True
    SESSION_COOKIE_HTTPONLY = True
    WTF_CSRF_TIME_LIMIT = 3600


class ProductionConfig(BaseConfig):
    WTF_CSRF_ENABLED = True
    PREFERRED_URL_SCHEME = "https"


csrf = CSRFProtect()
login_manager = LoginManager()


def create_app():
    app = Flask(__name__)
    app.config.from_object(ProductionConfig)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    from .account import bp as account_bp
    from .billing import bp as billing_bp
    app.register_blueprint(account_bp)
    app.register_blueprint(billing_bp)
    return app
