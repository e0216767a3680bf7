"""Tiny metrics exporter started next to the worker process."""
import socket
import threading

COUNTERS = {"jobs_done": 0, "jobs_failed": 0}


def serve(port: int = 9100) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("0.0.0.0", port))
    sock.listen(5)
    while True:
        conn, _ = sock.accept()
        body = "\n".join(f"{k} {v}" for k, v in COUNTERS.items())
        conn.sendall(b"HTTP/1.0 200 OK\r\n\r\n" + body.encode())
        conn.close()


threading.Thread(target=serve, daemon=True).start()
