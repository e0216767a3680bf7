import logging

import requests
from django.http import JsonResponse
from django.contrib.auth.decorators import login_required

logger = logging.getLogger(__name__)
DEFAULT_PATH = "/healthz"


def probe(base, path=DEFAULT_PATH):
    url = base.rstrip("/") + path
    started = requests.get(url, timeout=3, allow_redirects=False)
    return {
        "url": url,
        "code": started.status_code,
        "elapsed_ms": int(started.elapsed.total_seconds() * 1000),
    }


@login_required
def check_endpoint(request):
    base = request.POST.get("base_url", "").strip()
    if not base.startswith(("http://", "https://")):
        return JsonResponse({"error": "bad scheme"}, status=400)
    try:
        result = probe(base, request.POST.get("path", DEFAULT_PATH))
    except requests.RequestException as exc:
        logger.info("probe failed: %s", exc)
        return JsonResponse({"ok": False})
    return JsonResponse({"ok": result["code"] < 400, **result})
