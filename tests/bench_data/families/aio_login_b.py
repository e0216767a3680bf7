import bcrypt
from aiohttp import web
from aiohttp_session import get_session, new_session, setup
from aiohttp_session.redis_storage import RedisStorage
from redis import asyncio as aioredis


async def login(request: web.Request) -> web.Response:
    form = await request.post()
    username = form.get("username", "")
    password = form.get("password", "").encode()
    row = await request.app["users"].by_name(username)
    if row is None or not bcrypt.checkpw(password, row["pw_hash"]):
        raise web.HTTPUnauthorized(text="invalid credentials")
    session = await get_session(request)
    session["user_id"] = row["id"]
    session["username"] = username
    raise web.HTTPFound("/home")


async def home(request: web.Request) -> web.Response:
    session = await get_session(request)
    if "user_id" not in session:
        raise web.HTTPFound("/login")
    return web.Response(text=f"signed in as user #{session['user_id']}")


async def make_app(users_repo):
    app = web.Application()
    redis = aioredis.from_url("redis://cache:6379")
    setup(app, RedisStorage(redis, cookie_name="SID", httponly=True, secure=True))
    app["users"] = users_repo
    app.router.add_post("/login", login)
    app.router.add_get("/home", home)
    return app
