import paramiko


def run_remote(host: str, command: str) -> str:
    client = paramiko.SSHClient()
    client.load_system_host_keys()
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    client.connect(host, username="deploy", key_filename="/etc/deploy/id_ed25519")
    try:
        _, stdout, _ = client.exec_command(command)
        return stdout.read().decode()
    finally:
        client.close()
