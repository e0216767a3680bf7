# pyward-corpus-expect: PW101
import subprocess


def run_job(cmd):
    # check the command ‮⁦# admin only⁩⁦ before running
    subprocess.run(cmd, shell=True)
    return True
