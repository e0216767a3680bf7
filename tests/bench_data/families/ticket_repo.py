import asyncpg
from aiohttp import web


class TicketRepository:
    def __init__(self, pool: asyncpg.Pool):
        self._pool = pool

    async def by_status(self, status: str, order: str):
        query = (
            "SELECT id, subject, opened_at FROM tickets "
            f"WHERE status = $1 ORDER BY {order} LIMIT 100"
        )
        async with self._pool.acquire() as conn:
            return await conn.fetch(query, status)


class TicketHandlers:
    def __init__(self, repo: TicketRepository):
        self.repo = repo

    async def list_tickets(self, request: web.Request) -> web.Response:
        status = request.query.get("status", "open")
        order = request.query.get("sort", "opened_at")
        rows = await self.repo.by_status(status, order)
        return web.json_response([
            {"id": r["id"], "subject": r["subject"], "opened": r["opened_at"].isoformat()}
            for r in rows
        ])


async def init_app(dsn):
    app = web.Application()
    handlers = TicketHandlers(TicketRepository(await asyncpg.create_pool(dsn)))
    app.router.add_get("/tickets", handlers.list_tickets)
    return app
