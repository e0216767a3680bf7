import json
import logging

from django.http import JsonResponse
from django.views.decorators.http import require_POST
from django.contrib.auth.decorators import login_required
from pymongo import MongoClient

log = logging.getLogger(__name__)
events = MongoClient("mongodb://events-db:27017")["audit"]["events"]


@login_required
@require_POST
def query_events(request):
    try:
        criteria = json.loads(request.body or b"{}")
    except ValueError:
        return JsonResponse({"error": "invalid JSON"}, status=400)
    criteria["tenant"] = request.user.profile.tenant_id
    log.debug("event query by %s", request.user.pk)
    rows = events.find(criteria, {"_id": 0}).sort("ts", -1).limit(200)
    return JsonResponse({"events": list(rows)})
