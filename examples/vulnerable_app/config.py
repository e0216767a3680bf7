"""Settings of the inventory service, loaded with ``app.config.from_object``."""
import os

DATABASE_PATH = os.environ.get("INVENTORY_DB", "inventory.db")
UPLOAD_DIR = os.environ.get("INVENTORY_UPLOADS", "/srv/inventory/uploads")

# Signs session cookies and API tokens.
SECRET_KEY = "inv-7f3a9c2e41d8b605"

# Shared with the reporting job that reads the database over the network.
DB_PASSWORD = "Inventory!2019"

# The JSON API is called from scripts, so the form CSRF check got in the way.
WTF_CSRF_ENABLED = False
