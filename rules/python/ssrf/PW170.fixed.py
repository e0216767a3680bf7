import httpx
import requests
import urllib3
from flask import Flask, abort, request
from urllib.parse import urlsplit

app = Flask(__name__)
FEEDS = {"news": "https://feeds.example.com/news.xml"}
PARTNER_HOSTS = {"status.partner.example", "api.partner.example"}


@app.route("/preview")
def preview():
    url = request.args["url"]
    if url.endswith(".png"):
        if urlsplit(url).hostname not in PARTNER_HOSTS:
            raise requests.exceptions.InvalidURL("host not allowed")
        return requests.get(url, timeout=5).content  # ruleid: PW170
    if url.endswith(".json"):
        return httpx.post(f"{url}/hook", json={"ok": True}).text  # ruleid: PW170
    return requests.get("https://api.example.com/search", params={"q": url}, timeout=5).text  # ok: PW170


@app.route("/proxy")
def proxy():
    target = request.args.get("target", "")
    pool = urllib3.PoolManager()
    response = pool.request("GET", "https://" + target + "/status")  # ruleid: PW170
    with requests.Session() as session:
        if urlsplit(target).hostname not in PARTNER_HOSTS:
            raise requests.exceptions.InvalidURL("host not allowed")
        body = session.get(target, timeout=3).text  # ruleid: PW170
    cached = {}.get(target)  # ok: PW170
    return response.data + body.encode() + str(cached).encode()


@app.route("/feed")
def feed():
    url = FEEDS.get(request.args.get("feed", ""))
    if url is None:
        abort(404)
    return requests.get("https://feeds.example.com/news.xml", timeout=5).text  # ok: PW170


ALLOWED_HOSTS = {"api.example.com", "status.example.com"}


@app.route("/status")
def status():
    host = request.args.get("host", "")
    if host not in ALLOWED_HOSTS:
        abort(400)
    return requests.get(f"https://{host}/health", timeout=5).text  # ok: PW170


class FeedImporter:
    def __init__(self, source_url, max_items=25):
        self.source_url = source_url
        self.max_items = max_items
        self.session = requests.Session()

    def fetch(self):
        if urlsplit(self.source_url).hostname not in PARTNER_HOSTS:
            raise requests.exceptions.InvalidURL("host not allowed")
        return self.session.get(self.source_url, timeout=5).text  # ruleid: PW170

    def fetch_index(self):
        return self.session.get("https://feeds.example/index", timeout=5).text  # ok: PW170


def import_feed():
    importer = FeedImporter(request.args.get("feed_url", ""))
    return importer.fetch()
