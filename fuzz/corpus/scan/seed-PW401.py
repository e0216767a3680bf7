import os

os.umask(0)  # ruleid: PW401
os.umask(0o000)  # ruleid: PW401
os.umask(0o770)  # ruleid: PW401
os.umask(0o022)  # ok: PW401
os.umask(0o077)  # ok: PW401
os.umask(0o002)  # ok: PW401
