def respond(response, session_id, theme):
    response.set_cookie("session", session_id, httponly=True)  # ruleid: PW470
    response.set_cookie("session", session_id, secure=False, httponly=True)  # ruleid: PW470
    response.set_cookie("session", session_id, secure=True, httponly=True)  # ok: PW470
    response.set_cookie("session", session_id, secure=True, httponly=True, samesite="Lax")  # ok: PW470
    return response
