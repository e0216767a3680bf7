def login(user, password="admin123"):  # ruleid: PW302
    return user, password


def fetch(url, *, api_token: str = "ghs-example-secret-value"):  # ruleid: PW302
    return url, api_token


def connect(host, password=None):  # ok: PW302
    return host, password


def connect_typed(host, password: str = ""):  # ok: PW302
    return host, password


def render(field_name="password", pad_token="<pad>"):  # ok: PW302
    return field_name, pad_token
