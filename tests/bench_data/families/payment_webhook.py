import hashlib
import hmac
import json
import os

from django.http import HttpResponse, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .models import Payment

WEBHOOK_SECRET = os.environ["PSP_WEBHOOK_SECRET"].encode()


@csrf_exempt
@require_POST
def psp_webhook(request):
    sent = request.headers.get("X-PSP-Signature", "")
    expected = hmac.new(WEBHOOK_SECRET, request.body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(sent, expected):
        return HttpResponseForbidden()
    event = json.loads(request.body)
    if event.get("type") == "payment.succeeded":
        Payment.objects.filter(reference=event["data"]["reference"]).update(status="paid")
    return HttpResponse(status=204)
