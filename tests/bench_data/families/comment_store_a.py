import aiosqlite
from aiohttp import web


class CommentDao:
    def __init__(self, path):
        self.path = path

    async def add(self, post_id, author, body):
        sql = (
            "INSERT INTO comments (post_id, author, body) "
            "VALUES (%(post)d, '%(author)s', '%(body)s')"
            % {"post": post_id, "author": author, "body": body}
        )
        async with aiosqlite.connect(self.path) as db:
            await db.execute(sql)
            await db.commit()


async def create_comment(request: web.Request) -> web.Response:
    data = await request.post()
    post_id = int(request.match_info["post_id"])
    author = data.get("author", "anonymous")[:40]
    body = data.get("body", "")
    if not body:
        raise web.HTTPBadRequest(text="empty comment")
    await request.app["comments"].add(post_id, author, body)
    raise web.HTTPSeeOther(f"/posts/{post_id}")


def build_app(db_path="blog.db"):
    app = web.Application()
    app["comments"] = CommentDao(db_path)
    app.router.add_post("/posts/{post_id}/comments", create_comment)
    return app
