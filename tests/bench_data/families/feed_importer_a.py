import logging
from urllib.parse import urlsplit

import requests
from django.http import JsonResponse
from django.views.decorators.http import require_POST

log = logging.getLogger(__name__)
TRUSTED_FEEDS = {"feeds.reuters.example", "rss.partner.example"}


class FeedImporter:
    def __init__(self, source_url, max_items=25):
        self.source_url = source_url
        self.max_items = max_items
        self.session = requests.Session()

    def fetch(self):
        resp = self.session.get(self.source_url, timeout=5)
        resp.raise_for_status()
        return resp.text

    def titles(self):
        text = self.fetch()
        parts = text.split("<title>")[1:self.max_items + 1]
        return [p.split("</title>")[0].strip() for p in parts]


@require_POST
def import_feed(request):
    url = request.POST.get("feed_url", "")
    parts = urlsplit(url)
    if parts.scheme != "https" or parts.hostname not in TRUSTED_FEEDS:
        return JsonResponse({"error": "untrusted feed"}, status=400)
    importer = FeedImporter(url)
    try:
        titles = importer.titles()
    except requests.RequestException:
        log.exception("feed import failed")
        return JsonResponse({"error": "could not fetch feed"}, status=502)
    return JsonResponse({"imported": len(titles), "titles": titles})
