import httpx
import requests
import urllib3
from flask import Flask, abort, request

app = Flask(__name__)
FEEDS = {"news": "https://feeds.example.com/news.xml"}


@app.route("/preview")
def preview():
    url = request.args["url"]
    if url.endswith(".png"):
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
