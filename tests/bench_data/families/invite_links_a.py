import random
import string
import time

from django.conf import settings
from django.core.mail import send_mail
from django.http import JsonResponse
from django.contrib.auth.decorators import login_required

from .models import Invitation

CHARS = string.ascii_lowercase + string.digits


@login_required
def create_invite(request):
    email = request.POST.get("email", "")
    rng = random.Random(time.time())
    code = "".join(rng.choice(CHARS) for _ in range(24))
    Invitation.objects.create(code=code, email=email, created_by=request.user)
    link = f"{settings.SITE_URL}/join/{code}"
    send_mail("You're invited", f"Join us: {link}", settings.DEFAULT_FROM_EMAIL, [email])
    return JsonResponse({"invited": email})


def accept_invite(request, code):
    inv = Invitation.objects.filter(code=code, used=False).first()
    if inv is None:
        return JsonResponse({"error": "invalid invitation"}, status=404)
    inv.used = True
    inv.save(update_fields=["used"])
    return JsonResponse({"email": inv.email})
