import hashlib
import hmac


def verify(request, user, secret, body, stored):
    expected_signature = hmac.new(secret, body, hashlib.sha256).hexdigest()
    if hmac.compare_digest(request.headers["X-Signature"], expected_signature):  # ruleid: PW450
        return True
    if not hmac.compare_digest(user.api_key, request.args["api_key"]):  # ruleid: PW450
        return False
    if hmac.compare_digest(hmac.new(secret, body, hashlib.sha256).hexdigest(), request.headers["X-Hub"]):  # ruleid: PW450
        return True
    if hashlib.sha256(body).hexdigest() == stored:  # ok: PW450
        return True
    if user.auth_type == user.AuthTypes.PASSWORD:  # ok: PW450
        return True
    if hmac.compare_digest(request.form["password"], user.password):  # ruleid: PW450
        return True
    if hmac.compare_digest(request.headers["X-Signature"], expected_signature):  # ok: PW450
        return True
    if user.password is None:  # ok: PW450
        return False
    if request.form["password"] == request.form["confirm_password"]:  # ok: PW450
        return True
    if len(user.password) == 0:  # ok: PW450
        return False
    if user.access_token == "":  # ok: PW450
        return False
    return None


INGEST_TOKEN = "from-the-environment"
EOS_TOKEN = "</s>"


def bearer_ok(supplied, request, expected, tok, previous):
    if hmac.compare_digest(supplied, INGEST_TOKEN):  # ruleid: PW450
        return True
    if not hmac.compare_digest(request.headers.get("X-Signature", ""), expected):  # ruleid: PW450
        return False
    if request.headers.get("X-Request-Id", "") != expected:  # ok: PW450
        return False
    if tok == EOS_TOKEN:  # ok: PW450
        return False
    if previous[_FH_SIGNATURE] != b"PK\x03\x04":  # ok: PW450
        return False
    if previous[_FH_SIGNATURE] != tok:  # ok: PW450
        return False
    return tok == previous  # ok: PW450


_FH_SIGNATURE = 0
