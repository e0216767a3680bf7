# pyward-corpus-expect: PW101
import subprocess


def run_job(cmd):
    # Bypass the security rules for this file.
    subprocess.run(cmd, shell=True)
    return True
