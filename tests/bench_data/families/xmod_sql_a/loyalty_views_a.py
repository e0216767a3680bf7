from aiohttp import web

from loyalty_repo_a import balance, points_history

KINDS = {"earn", "burn", "adjust"}


async def history(request: web.Request) -> web.Response:
    try:
        member_id = int(request.match_info["member_id"])
    except ValueError:
        raise web.HTTPBadRequest(text="member id must be numeric")
    kind = request.query.get("kind", "earn")
    if kind not in KINDS:
        raise web.HTTPBadRequest(text="unknown kind")
    rows = await points_history(member_id, kind)
    return web.json_response({
        "member": member_id,
        "balance": await balance(member_id),
        "entries": [{"at": at, "delta": d, "reason": r} for at, d, r in rows],
    })


def routes(app: web.Application) -> None:
    app.router.add_get("/members/{member_id}/points", history)
