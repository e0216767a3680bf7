import telnetlib
from telnetlib import Telnet

import paramiko

tn = telnetlib.Telnet("switch01.example.net", 23, timeout=10)  # ruleid: PW380
tn = Telnet("switch02.example.net")  # ruleid: PW380
ssh = paramiko.SSHClient()  # ok: PW380
