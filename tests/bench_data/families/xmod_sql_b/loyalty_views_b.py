from aiohttp import web

from loyalty_repo_b import balance, points_history

KINDS = {"earn", "burn", "adjust"}


async def history(request: web.Request) -> web.Response:
    member_id = request.match_info["member_id"]
    kind = request.query.get("kind", "earn")
    rows = await points_history(member_id, kind)
    return web.json_response({
        "member": member_id,
        "balance": await balance(member_id),
        "entries": [{"at": at, "delta": d, "reason": r} for at, d, r in rows],
    })


def routes(app: web.Application) -> None:
    app.router.add_get("/members/{member_id}/points", history)
