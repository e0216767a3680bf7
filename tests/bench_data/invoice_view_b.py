from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.shortcuts import get_object_or_404

from .models import Invoice


@login_required
def invoice_pdf(request, invoice_id):
    invoice = get_object_or_404(Invoice, pk=invoice_id, owner=request.user)
    return FileResponse(invoice.pdf.open("rb"), content_type="application/pdf")
