import logging

import aiomysql
from aiohttp import web
from aiohttp_session import get_session

log = logging.getLogger(__name__)


class ProfileDao:
    def __init__(self, pool):
        self.pool = pool

    async def update_bio(self, user_id, bio, website):
        stmt = "UPDATE profiles SET bio = %s, website = %s WHERE user_id = %s"
        async with self.pool.acquire() as conn:
            async with conn.cursor() as cur:
                await cur.execute(stmt, (bio, website, user_id))
            await conn.commit()


async def save_profile(request):
    session = await get_session(request)
    user_id = session.get("user_id")
    if user_id is None:
        raise web.HTTPUnauthorized()
    form = await request.post()
    await request.app["profiles"].update_bio(
        int(user_id), form.get("bio", ""), form.get("website", "")
    )
    log.info("profile %s updated", user_id)
    return web.json_response({"saved": True})


async def init(app):
    app["profiles"] = ProfileDao(await aiomysql.create_pool(host="db", db="site"))
