import sqlite3

from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

DB_PATH = "tags.db"


def query_posts(tag, limit):
    conn = sqlite3.connect(DB_PATH)
    try:
        cur = conn.execute(
            "SELECT p.id, p.title FROM posts p JOIN post_tags t ON t.post_id = p.id "
            "WHERE t.tag = '" + tag + "' ORDER BY p.id DESC LIMIT ?",
            (limit,),
        )
        return [{"id": pid, "title": title} for pid, title in cur.fetchall()]
    finally:
        conn.close()


async def posts_by_tag(request):
    tag = request.path_params["tag"]
    try:
        limit = min(int(request.query_params.get("limit", "20")), 100)
    except ValueError:
        limit = 20
    return JSONResponse({"tag": tag, "posts": query_posts(tag.lower(), limit)})


app = Starlette(routes=[Route("/tags/{tag}", posts_by_tag)])
