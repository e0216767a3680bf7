import socket
import ssl
import struct

GATEWAY = ("payments-gw.example", 7443)


def open_channel():
    raw = socket.create_connection(GATEWAY, timeout=15)
    ctx = ssl.SSLContext(ssl.PROTOCOL_SSLv23)
    return ctx.wrap_socket(raw, server_hostname=GATEWAY[0])


def send_frame(chan, payload: bytes) -> bytes:
    chan.sendall(struct.pack(">I", len(payload)) + payload)
    header = chan.recv(4)
    (size,) = struct.unpack(">I", header)
    buf = b""
    while len(buf) < size:
        chunk = chan.recv(size - len(buf))
        if not chunk:
            raise ConnectionError("gateway closed the channel")
        buf += chunk
    return buf


def authorize(card_token: str, amount_cents: int) -> bytes:
    with open_channel() as chan:
        return send_frame(chan, f"AUTH|{card_token}|{amount_cents}".encode())
