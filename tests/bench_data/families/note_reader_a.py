import os

from aiohttp import web

NOTES_DIR = "/srv/app/notes"
routes = web.RouteTableDef()


def load_note(name):
    path = os.path.join(NOTES_DIR, name)
    with open(path, encoding="utf-8") as fh:
        return fh.read()


def note_title(text):
    first = text.splitlines()[0] if text else ""
    return first.lstrip("# ").strip()


@routes.get("/notes/{name}")
async def show_note(request):
    name = request.match_info["name"]
    try:
        text = load_note(name)
    except FileNotFoundError:
        raise web.HTTPNotFound()
    return web.json_response({"title": note_title(text), "body": text})


def make_app():
    app = web.Application()
    app.add_routes(routes)
    return app
