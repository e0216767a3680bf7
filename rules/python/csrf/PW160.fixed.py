import hashlib
import hmac
import os

from django.http import HttpResponseForbidden, JsonResponse
from django.contrib.auth.decorators import login_required
from django.urls import path
from django.views.decorators import csrf as csrf_decorators
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from flask import Flask
from flask_wtf.csrf import CSRFProtect

app = Flask(__name__)
csrf = CSRFProtect(app)


@csrf_exempt  # ruleid: PW160
def update_email(request):
    return JsonResponse({"ok": True})


@csrf_decorators.csrf_exempt  # ruleid: PW160
def update_name(request):
    return JsonResponse({"ok": True})


@login_required
def update_address(request):
    request.user.address = request.POST["address"]
    return JsonResponse({"ok": True})


@csrf_protect  # ok: PW160
def update_phone(request):
    return JsonResponse({"ok": True})


@app.route("/hook", methods=["POST"])
@csrf.exempt  # ruleid: PW160
def hook():
    return "ok"


SECRET = os.environ["WEBHOOK_SECRET"].encode()


@csrf_exempt  # ok: PW160
def payment_webhook(request):
    # A webhook authenticated by its signature, not by a session cookie.
    expected = hmac.new(SECRET, request.body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(request.headers.get("X-Signature", ""), expected):
        return HttpResponseForbidden()
    return JsonResponse({"ok": True})


@app.route("/form", methods=["POST"])  # ok: PW160
def form():
    return "ok"


urlpatterns = [
    path("email/", csrf_exempt(update_phone)),  # ruleid: PW160
    path("phone/", update_phone),  # ok: PW160
]
