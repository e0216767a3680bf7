import logging

from django.db import connection
from django.http import JsonResponse

log = logging.getLogger(__name__)
PAGE_SIZE = 25


def articles(request):
    page = int(request.GET.get("page", "1"))
    size = int(request.GET.get("size", PAGE_SIZE))
    offset = max(page - 1, 0) * size
    sql = (
        "SELECT id, title, published FROM blog_article "
        f"ORDER BY published DESC LIMIT {size} OFFSET {offset}"
    )
    with connection.cursor() as cur:
        cur.execute(sql)
        rows = cur.fetchall()
    log.debug("page %s -> %d rows", page, len(rows))
    return JsonResponse({
        "page": page,
        "items": [{"id": i, "title": t, "published": p.isoformat()} for i, t, p in rows],
    })
