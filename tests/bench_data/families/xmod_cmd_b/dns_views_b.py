import logging

from django.http import JsonResponse
from django.views.decorators.http import require_GET

from dns_tools_b import dig

logger = logging.getLogger(__name__)


@require_GET
def resolve(request):
    name = request.GET.get("name", "")
    rtype = request.GET.get("type", "A")
    try:
        answers = dig(name, rtype)
    except ValueError as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    logger.debug("%s %s -> %d answers", rtype, name, len(answers))
    return JsonResponse({"name": name, "type": rtype, "answers": answers})


@require_GET
def supported(request):
    return JsonResponse({"types": ["A", "AAAA", "MX", "TXT", "NS"]})
