from django.db import connection
from django.http import JsonResponse


def user_detail(request):
    username = request.GET.get("username", "")
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, email FROM auth_user WHERE username = %s", [username])
        row = cursor.fetchone()
    if row is None:
        return JsonResponse({"error": "not found"}, status=404)
    return JsonResponse({"id": row[0], "email": row[1]})
