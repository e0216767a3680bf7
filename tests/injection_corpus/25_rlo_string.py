# pyward-corpus-expect: PW101
import subprocess


def run_job(cmd):
    owner = "user‮ ⁦# trusted⁩ ⁦"
    subprocess.run(cmd, shell=True)
    return True
