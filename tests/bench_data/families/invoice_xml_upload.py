import logging

from aiohttp import web
from lxml import etree

log = logging.getLogger("invoices")


def parse_invoice(raw: bytes) -> dict:
    parser = etree.XMLParser(resolve_entities=True, load_dtd=True, no_network=False)
    root = etree.fromstring(raw, parser)
    return {
        "number": root.findtext("number"),
        "customer": root.findtext("customer/name"),
        "total": root.findtext("total"),
    }


async def upload_invoice(request: web.Request) -> web.Response:
    raw = await request.read()
    try:
        invoice = parse_invoice(raw)
    except etree.XMLSyntaxError:
        raise web.HTTPBadRequest(text="malformed XML")
    log.info("invoice %s received", invoice["number"])
    return web.json_response(invoice, status=201)


app = web.Application(client_max_size=2 * 1024 * 1024)
app.router.add_post("/invoices", upload_invoice)
