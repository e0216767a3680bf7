import logging

from aiohttp import web
from aiohttp_session import get_session, new_session
from passlib.hash import argon2

log = logging.getLogger("portal")


class SignInView(web.View):
    async def post(self) -> web.Response:
        data = await self.request.post()
        email = data.get("email", "").lower()
        account = await self.request.app["accounts"].find(email)
        if account is None or not argon2.verify(data.get("password", ""), account.pw_hash):
            log.info("failed sign-in for %s", email)
            raise web.HTTPUnauthorized()
        session = await get_session(self.request)
        session["account"] = account.id
        session["roles"] = list(account.roles)
        log.info("account %s signed in", account.id)
        raise web.HTTPSeeOther("/portal")


class SignOutView(web.View):
    async def post(self) -> web.Response:
        session = await get_session(self.request)
        session.invalidate()
        raise web.HTTPSeeOther("/")


def add_routes(app: web.Application) -> None:
    app.router.add_view("/signin", SignInView)
    app.router.add_view("/signout", SignOutView)
