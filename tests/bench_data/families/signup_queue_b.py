import logging
from datetime import datetime, timezone

import aiopg
from aiohttp import web

logger = logging.getLogger("signup")


class WaitlistDao:
    def __init__(self, pool):
        self._pool = pool

    async def enqueue(self, email, referrer):
        now = datetime.now(timezone.utc).isoformat()
        query = ("INSERT INTO waitlist (email, referrer, created_at) VALUES ('"
                 + email + "', '" + referrer + "', '" + now + "')")
        async with self._pool.acquire() as conn:
            async with conn.cursor() as cur:
                await cur.execute(query)


async def join_waitlist(request):
    data = await request.post()
    email = data.get("email", "").strip().lower()
    if "@" not in email:
        return web.json_response({"error": "invalid email"}, status=400)
    referrer = request.headers.get("Referer", "direct")
    await request.app["waitlist"].enqueue(email, referrer)
    logger.info("waitlist signup %s", email)
    return web.json_response({"queued": True}, status=201)


async def make_app(dsn):
    app = web.Application()
    app["waitlist"] = WaitlistDao(await aiopg.create_pool(dsn))
    app.router.add_post("/waitlist", join_waitlist)
    return app
