import logging
import traceback

from django.http import JsonResponse
from django.views.decorators.http import require_POST

from .sync import SyncClient

log = logging.getLogger(__name__)


@require_POST
def trigger_sync(request):
    client = SyncClient.for_tenant(request.user.profile.tenant_id)
    try:
        summary = client.run(full=request.POST.get("full") == "1")
    except Exception as exc:
        log.warning("sync failed for %s", request.user.pk)
        return JsonResponse(
            {
                "ok": False,
                "error": repr(exc),
                "trace": traceback.format_exc(),
            },
            status=500,
        )
    return JsonResponse({"ok": True, "summary": summary})
