import logging

from django.http import HttpResponse
from django.utils.html import escape
from django.views.decorators.http import require_GET

from .models import Article

logger = logging.getLogger(__name__)


@require_GET
def search(request):
    q = request.GET.get("q", "").strip()
    hits = Article.objects.filter(title__icontains=q)[:20] if q else []
    logger.debug("search %r -> %d hits", q, len(hits))
    items = "".join(
        "<li><a href='/a/%d/'>%s</a></li>" % (a.pk, escape(a.title)) for a in hits
    )
    html = (
        "<html><body><h1>Results for " + escape(q) + "</h1>"
        "<ul>" + items + "</ul>"
        "<p>" + str(len(hits)) + " article(s)</p></body></html>"
    )
    return HttpResponse(html)
