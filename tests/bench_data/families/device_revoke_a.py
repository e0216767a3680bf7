import asyncpg
from aiohttp import web

routes = web.RouteTableDef()


class DeviceRepo:
    def __init__(self, pool: asyncpg.Pool):
        self.pool = pool

    async def revoke(self, account_id: int, device_label: str) -> int:
        async with self.pool.acquire() as conn:
            status = await conn.execute(
                f"DELETE FROM devices WHERE account_id = {account_id} "
                f"AND label = '{device_label}'"
            )
        return int(status.split()[-1])


@routes.post("/devices/revoke")
async def revoke_device(request: web.Request) -> web.Response:
    account_id = request["account_id"]
    data = await request.post()
    label = data.get("label", "")
    removed = await request.app["devices"].revoke(account_id, label)
    if not removed:
        raise web.HTTPNotFound(text="no such device")
    return web.json_response({"removed": removed})


async def on_startup(app: web.Application) -> None:
    app["devices"] = DeviceRepo(await asyncpg.create_pool(app["dsn"]))
