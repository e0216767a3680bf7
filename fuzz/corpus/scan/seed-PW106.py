import os
import shutil
import subprocess
from subprocess import check_output

GIT = shutil.which("git")


def info(ref):
    a = check_output(["git", "rev-parse", ref])  # ruleid: PW106
    b = subprocess.run(("ls", "-l", "/tmp"), check=True)  # ruleid: PW106
    c = subprocess.run("uname -a", shell=True, check=True)  # ruleid: PW106
    d = os.popen("whoami").read()  # ruleid: PW106
    e = check_output(["/usr/bin/git", "rev-parse", ref])  # ok: PW106
    f = subprocess.run(["./scripts/build.sh", ref], check=True)  # ok: PW106
    g = subprocess.run([GIT, "status"], check=True)  # ok: PW106
    h = os.system("/usr/bin/uptime")  # ok: PW106
    i = subprocess.run([f"{ref}/bin/tool"], check=True)  # ok: PW106
    return a, b, c, d, e, f, g, h, i
