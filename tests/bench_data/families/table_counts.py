from django.db import connection
from django.http import Http404, JsonResponse
from django.contrib.admin.views.decorators import staff_member_required

REPORTABLE = {
    "users": "auth_user",
    "orders": "shop_order",
    "refunds": "shop_refund",
    "tickets": "support_ticket",
}


@staff_member_required
def row_count(request):
    key = request.GET.get("table", "users")
    table = REPORTABLE.get(key)
    if table is None:
        raise Http404("unknown table")
    since = request.GET.get("since", "1970-01-01")
    with connection.cursor() as cur:
        cur.execute(f"SELECT COUNT(*) FROM {table} WHERE created >= %s", [since])
        (count,) = cur.fetchone()
    return JsonResponse({"table": key, "since": since, "count": count})
