import random
import secrets
from datetime import datetime, timedelta

from django.core.cache import cache
from django.http import JsonResponse
from django.views.decorators.http import require_POST

from .sms import send_sms

TTL = timedelta(minutes=5)


@require_POST
def send_login_code(request):
    phone = request.POST.get("phone", "")
    if not phone.startswith("+"):
        return JsonResponse({"error": "E.164 number required"}, status=400)
    n = random.randint(0, 999999)
    value = f"{n:06d}"
    cache.set(f"otp:{phone}", value, timeout=int(TTL.total_seconds()))
    send_sms(phone, f"Your sign-in code is {value}")
    return JsonResponse({"sent": True, "expires": (datetime.utcnow() + TTL).isoformat()})


@require_POST
def verify_login_code(request):
    phone = request.POST.get("phone", "")
    expected = cache.get(f"otp:{phone}")
    ok = expected is not None and secrets.compare_digest(expected, request.POST.get("code", ""))
    return JsonResponse({"ok": ok})
