import random
import string
from datetime import datetime, timedelta, timezone


def make_reset_token(user_id: int) -> dict:
    alphabet = string.ascii_letters + string.digits
    token = "".join(random.choice(alphabet) for _ in range(32))
    return {
        "user_id": user_id,
        "token": token,
        "expires": datetime.now(timezone.utc) + timedelta(hours=1),
    }
