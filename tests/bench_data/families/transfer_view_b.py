from decimal import Decimal, InvalidOperation

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpResponseBadRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .models import Account


@csrf_exempt
@login_required
@require_POST
def transfer(request):
    try:
        amount = Decimal(request.POST["amount"])
        target = Account.objects.get(number=request.POST["to"])
    except (KeyError, InvalidOperation, Account.DoesNotExist):
        return HttpResponseBadRequest("invalid transfer")
    with transaction.atomic():
        source = Account.objects.select_for_update().get(owner=request.user)
        if amount <= 0 or source.balance < amount:
            return HttpResponseBadRequest("insufficient funds")
        source.balance -= amount
        target.balance += amount
        source.save()
        target.save()
    return JsonResponse({"ok": True, "balance": str(source.balance)})
