from lxml import etree  # ruleid: PW203

SAFE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)


def parse(body, path):
    a = etree.fromstring(body)  # ruleid: PW201
    b = etree.parse(path)  # ruleid: PW201
    c = etree.XML(body)  # ruleid: PW201
    d = etree.fromstring(body, parser=SAFE_PARSER)  # ok: PW201
    e = etree.parse(path, SAFE_PARSER)  # ok: PW201
    f = etree.fromstring("<root/>")  # ok: PW201
    return a, b, c, d, e, f
