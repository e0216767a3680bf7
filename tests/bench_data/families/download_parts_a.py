import os

from aiohttp import web

EXPORT_ROOT = "/srv/exports"


async def fetch_export(request: web.Request) -> web.StreamResponse:
    spec = request.query.get("file", "")
    parts = spec.split(":", 1)
    if len(parts) != 2:
        raise web.HTTPBadRequest(text="expected <tenant>:<file>")
    tenant, filename = parts
    if not tenant.isalnum():
        raise web.HTTPBadRequest(text="bad tenant")
    path = os.path.join(EXPORT_ROOT, tenant, os.path.basename(filename))
    if not os.path.isfile(path):
        raise web.HTTPNotFound()
    return web.FileResponse(path, headers={
        "Content-Disposition": f'attachment; filename="{os.path.basename(path)}"',
    })


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/exports", fetch_export)


if __name__ == "__main__":
    application = web.Application()
    setup_routes(application)
    web.run_app(application, port=8081)
