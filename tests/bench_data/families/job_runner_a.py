import logging
import shlex
import subprocess

from django.http import JsonResponse
from django.views.decorators.http import require_POST
from django.contrib.admin.views.decorators import staff_member_required

logger = logging.getLogger(__name__)
COMMANDS = {
    "clearsessions": "python manage.py clearsessions",
    "rebuild_index": "python manage.py rebuild_index --noinput",
}


@staff_member_required
@require_POST
def run_job(request):
    job = {"name": "adhoc", "command": COMMANDS["clearsessions"]}
    job.update({"label": request.POST.get("label", "manual")})
    job["command"] = request.POST.get("command", job["command"])
    logger.info("job %s started by %s", job["label"], request.user)
    proc = subprocess.run(
        job["command"],
        shell=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return JsonResponse({"rc": proc.returncode, "tail": proc.stdout[-2000:]})
