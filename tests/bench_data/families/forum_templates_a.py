import aiohttp_jinja2
import jinja2
from aiohttp import web

TEMPLATES = {
    "thread.html": (
        "<html><body><h1>{{ title }}</h1>"
        "{% for p in posts %}<article><b>{{ p.author }}</b>"
        "<div>{{ p.text }}</div></article>{% endfor %}"
        "</body></html>"
    ),
}
POSTS = {}


@aiohttp_jinja2.template("thread.html")
async def show_thread(request):
    tid = request.match_info["tid"]
    return {"title": f"Thread {tid}", "posts": POSTS.get(tid, [])}


async def reply(request):
    tid = request.match_info["tid"]
    form = await request.post()
    POSTS.setdefault(tid, []).append({"author": form.get("author", "anon"),
                                      "text": form.get("text", "")})
    raise web.HTTPSeeOther(f"/threads/{tid}")


def create_app():
    app = web.Application()
    aiohttp_jinja2.setup(app, loader=jinja2.DictLoader(TEMPLATES), autoescape=False)
    app.router.add_get("/threads/{tid}", show_thread)
    app.router.add_post("/threads/{tid}", reply)
    return app
