import logging

from django.http import HttpResponseForbidden, JsonResponse
from django.views.decorators.http import require_POST
from django.contrib.auth.decorators import login_required

log = logging.getLogger(__name__)
ROLES = ("viewer", "editor")


@login_required
@require_POST
def set_view_role(request):
    role = request.POST.get("role", "viewer")
    request.session["effective_role"] = role
    log.info("user %s switched to role %s", request.user.pk, role)
    return JsonResponse({"role": role})


@login_required
def delete_page(request, page_id):
    if request.session.get("effective_role") not in ("editor", "admin"):
        return HttpResponseForbidden()
    from .models import Page
    Page.objects.filter(pk=page_id).delete()
    return JsonResponse({"deleted": page_id})
