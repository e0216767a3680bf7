import functools
import logging
import subprocess

from django.http import JsonResponse
from django.views.decorators.http import require_POST
from django.contrib.auth.decorators import permission_required

logger = logging.getLogger(__name__)

run_shell = functools.partial(
    subprocess.run, shell=True, capture_output=True, text=True, timeout=60
)


@permission_required("ops.view_certs")
@require_POST
def certificate_expiry(request):
    domain = request.POST.get("domain", "").strip()
    if not domain:
        return JsonResponse({"error": "domain required"}, status=400)
    proc = run_shell(
        f"echo | openssl s_client -servername {domain} -connect {domain}:443 2>/dev/null"
        " | openssl x509 -noout -enddate"
    )
    logger.info("cert check for %s exited %s", domain, proc.returncode)
    line = proc.stdout.strip()
    return JsonResponse({"domain": domain, "not_after": line.split("=", 1)[-1] if line else None})
