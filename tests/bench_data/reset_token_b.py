import secrets
from datetime import datetime, timedelta, timezone


def make_reset_token(user_id: int) -> dict:
    token = secrets.token_urlsafe(32)
    return {
        "user_id": user_id,
        "token": token,
        "expires": datetime.now(timezone.utc) + timedelta(hours=1),
    }
