import yaml


def manifests(stream):
    a = list(yaml.load_all(stream))  # ruleid: PW196
    b = list(yaml.full_load_all(stream))  # ruleid: PW196
    c = yaml.full_load(stream)  # ruleid: PW196
    d = list(yaml.unsafe_load_all(stream))  # ruleid: PW196
    e = list(yaml.safe_load_all(stream))  # ok: PW196
    f = list(yaml.load_all(stream, Loader=yaml.SafeLoader))  # ok: PW196
    return a, b, c, d, e, f
