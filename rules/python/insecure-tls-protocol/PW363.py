import socket
import ssl
from ssl import PROTOCOL_SSLv23, SSLContext


def contexts():
    a = ssl.SSLContext(ssl.PROTOCOL_SSLv23)  # ruleid: PW363
    b = SSLContext(PROTOCOL_SSLv23)  # ruleid: PW363
    c = ssl.SSLContext(protocol=ssl.PROTOCOL_TLS)  # ruleid: PW363
    d = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # ok: PW363
    e = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)  # ok: PW363
    f = ssl.create_default_context()  # ok: PW363
    return a, b, c, d, e, f


def open_channel(host):
    # A client: the fix gives it the default client context.
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS)  # ruleid: PW363
    return ctx.wrap_socket(socket.create_connection((host, 443)), server_hostname=host)
