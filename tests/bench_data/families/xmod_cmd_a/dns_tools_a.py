import logging
import re
import subprocess

log = logging.getLogger("dnstools")
HOSTNAME = re.compile(r"(?=.{1,253}$)([a-zA-Z0-9][a-zA-Z0-9-]{0,62}\.)*[a-zA-Z0-9][a-zA-Z0-9-]{0,62}")
RECORD_TYPES = {"A", "AAAA", "MX", "TXT", "NS"}


def dig(name, rtype="A"):
    rtype = rtype.upper()
    cmd = f"dig +short {rtype} {name}"
    log.info("running %s", cmd)
    proc = subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=10)
    return [line for line in proc.stdout.splitlines() if line]


def mx_hosts(domain):
    hosts = []
    for line in dig(domain, "MX"):
        prio, _, host = line.partition(" ")
        hosts.append((int(prio), host.rstrip(".")))
    return sorted(hosts)
