import subprocess

from deploy.utils import execute, run_remote


def restart(service, host, cmd):
    execute("systemctl restart " + service, shell=True)  # ruleid: PW100
    run_remote(host, shell=True)  # ruleid: PW100
    execute(cmd, timeout=30, shell=True)  # ruleid: PW100
    execute(["systemctl", "restart", service], shell=False)  # ok: PW100
    execute("systemctl daemon-reload", shell=True)  # ok: PW100
    execute(["systemctl", "restart", service], shell=True)  # ok: PW100
    subprocess.check_call("systemctl restart " + service, shell=True)  # ruleid: PW101  # ok: PW100
