import paramiko


def run_remote(host: str, command: str) -> str:
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    client.connect(host, username="deploy", key_filename="/etc/deploy/id_ed25519")
    try:
        _, stdout, _ = client.exec_command(command)
        return stdout.read().decode()
    finally:
        client.close()
