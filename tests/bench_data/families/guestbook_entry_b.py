import html
import time

from aiohttp import web

ENTRIES = []


async def post_entry(request):
    form = await request.post()
    author = form.get("author", "anonymous")
    message = form.get("message", "")
    ENTRIES.append((time.time(), author, message))
    raise web.HTTPFound("/guestbook")


async def show_entries(request):
    rows = []
    for ts, author, message in ENTRIES[-50:]:
        when = time.strftime("%Y-%m-%d %H:%M", time.gmtime(ts))
        rows.append("<li><b>%s</b> (%s): %s</li>" % (author, when, message))
    body = "<html><body><h1>Guestbook</h1><ul>%s</ul></body></html>" % "".join(rows)
    return web.Response(text=body, content_type="text/html")


app = web.Application()
app.add_routes([
    web.post("/guestbook", post_entry),
    web.get("/guestbook", show_entries),
])
