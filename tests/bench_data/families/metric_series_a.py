from aiohttp import web
import aiosqlite

ALLOWED = {"cpu_load", "mem_used", "disk_io", "net_rx", "net_tx"}


async def series(request: web.Request) -> web.Response:
    name = request.query.get("metric", "")
    if name not in ALLOWED:
        raise web.HTTPBadRequest(text="unknown metric")
    hours = request.query.get("hours", "24")
    if not hours.isdigit():
        raise web.HTTPBadRequest(text="hours must be a number")
    sql = (
        f"SELECT ts, {name} FROM host_metrics "
        f"WHERE ts >= datetime('now', '-{int(hours)} hours') ORDER BY ts"
    )
    async with aiosqlite.connect(request.app["db_path"]) as db:
        async with db.execute(sql) as cur:
            rows = await cur.fetchall()
    return web.json_response({"metric": name, "points": rows})


def create_app(db_path="metrics.db"):
    app = web.Application()
    app["db_path"] = db_path
    app.router.add_get("/series", series)
    return app
