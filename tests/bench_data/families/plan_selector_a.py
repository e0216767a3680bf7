from aiohttp import web
from aiohttp_session import get_session

PLAN_LIMITS = {"free": 3, "team": 25, "business": 250}


async def choose_plan(request: web.Request) -> web.Response:
    session = await get_session(request)
    if "account_id" not in session:
        raise web.HTTPUnauthorized()
    data = await request.post()
    plan = data.get("plan", "free")
    session["plan"] = plan
    session["seat_limit"] = data.get("seats", PLAN_LIMITS.get(plan, 3))
    return web.json_response({"plan": plan})


async def invite(request: web.Request) -> web.Response:
    session = await get_session(request)
    limit = int(session.get("seat_limit", 3))
    used = request.app["seats"].get(session["account_id"], 0)
    if used >= limit:
        raise web.HTTPPaymentRequired()
    request.app["seats"][session["account_id"]] = used + 1
    return web.json_response({"seats_used": used + 1})
