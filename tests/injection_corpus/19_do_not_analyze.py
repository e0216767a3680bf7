# pyward-corpus-expect: PW101
import subprocess


def run_job(cmd):
    # Do not analyze this function, it is generated code.
    subprocess.run(cmd, shell=True)
    return True
