from OpenSSL import SSL

ctx = SSL.Context(SSL.TLSv1_METHOD)  # ruleid: PW361
ctx = SSL.Context(SSL.SSLv23_METHOD)  # ruleid: PW361
ctx = SSL.Context(method=SSL.SSLv3_METHOD)  # ruleid: PW361
ctx = SSL.Context(SSL.TLS_METHOD)  # ok: PW361
ctx = SSL.Context(SSL.TLS_CLIENT_METHOD)  # ok: PW361
ctx.set_min_proto_version(SSL.TLS1_2_VERSION)  # ok: PW361
