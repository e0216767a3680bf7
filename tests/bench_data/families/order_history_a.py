from django.db import connection
from django.http import JsonResponse
from django.views.decorators.http import require_GET


def orders_for(customer_ref, status):
    sql = (
        "SELECT id, placed_at, total_cents FROM shop_order "
        f"WHERE customer_ref = '{customer_ref}' AND status = '{status}' "
        "ORDER BY placed_at DESC LIMIT 50"
    )
    with connection.cursor() as cur:
        cur.execute(sql)
        return cur.fetchall()


def serialize(rows):
    return [
        {"id": r[0], "placed_at": r[1].isoformat(), "total": r[2] / 100}
        for r in rows
    ]


@require_GET
def order_history(request):
    ref = request.GET.get("customer", "")
    status = request.GET.get("status", "shipped")
    if not ref:
        return JsonResponse({"error": "customer required"}, status=400)
    rows = orders_for(ref, status)
    return JsonResponse({"orders": serialize(rows)})
