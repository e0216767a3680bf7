import asyncio
import os
import shlex
import subprocess


async def run(path, pattern):
    subprocess.check_output(["sh", "-c", "wc -l " + path])  # ruleid: PW109
    subprocess.run(("/bin/bash", "-c", f"grep {pattern} /var/log/app.log"))  # ruleid: PW109
    argv = ["/usr/bin/zsh", "-c", pattern]  # ruleid: PW109
    os.execl("/bin/sh", "sh", "-c", path)  # ruleid: PW109
    await asyncio.create_subprocess_exec("bash", "-c", pattern)  # ruleid: PW109
    subprocess.run(["sh", "-c", "ls -l /tmp"])  # ok: PW109
    subprocess.run(["sh", "-c", "wc -l " + shlex.quote(path)])  # ok: PW109
    subprocess.run(["wc", "-l", "--", path])  # ok: PW109
    subprocess.run(["sh", "/opt/scripts/rotate.sh", path])  # ok: PW109
    os.execl("/bin/sh", "sh", "-c", "exit 0")  # ok: PW109
    return argv
