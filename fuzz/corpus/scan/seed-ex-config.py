"""Settings of the inventory service, loaded with ``app.config.from_object``.

Secrets come from the environment (or the deployment's secret store), never from the source.
"""
import os

DATABASE_PATH = os.environ.get("INVENTORY_DB", "inventory.db")
UPLOAD_DIR = os.environ.get("INVENTORY_UPLOADS", "/srv/inventory/uploads")

# Signs session cookies and API tokens. Required: the service refuses to start without it.
SECRET_KEY = os.environ["INVENTORY_SECRET_KEY"]

# Shared with the reporting job that reads the database over the network.
DB_PASSWORD = os.environ["INVENTORY_DB_PASSWORD"]

# The JSON API authenticates with a bearer token; HTML forms keep the CSRF check.
WTF_CSRF_ENABLED = True

SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
