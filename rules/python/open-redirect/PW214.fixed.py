from urllib.parse import urlparse, urlsplit

from django.http import HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme
from flask import Flask, redirect, request, url_for

app = Flask(__name__)
PAGES = {"home": "index", "settings": "settings"}


@app.route("/login", methods=["POST"])
def login():
    target = request.args.get("next", "/")
    if target.startswith("//"):
        return redirect("/")  # ok: PW214
    if request.form.get("remember"):
        return redirect(url_for(PAGES.get(target, "index")))  # ok: PW214
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target or not target.isprintable():
        return redirect("/")
    return redirect(target)  # ruleid: PW214


@app.route("/out")
def out():
    return redirect("https://partner.example.com/?ref=" + request.args["ref"])  # ruleid: PW214


def legacy_view(request):
    next_url = request.GET["next"]
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return HttpResponseRedirect("/")
    return HttpResponseRedirect(next_url)  # ruleid: PW214


ALLOWED_TARGETS = {"/", "/account", "/orders"}


@app.route("/after-login")
def after_login():
    target = request.args.get("next", "/")
    if target not in ALLOWED_TARGETS:
        return redirect("/")  # ok: PW214
    return redirect(target)  # ok: PW214


def checked_view(request):
    target = request.GET.get("next", "/")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return HttpResponseRedirect("/")  # ok: PW214
    return HttpResponseRedirect(target)  # ok: PW214


PARTNER_HOSTS = {"partner.example", "www.partner.example"}


@app.route("/partner")
def partner():
    target = request.args.get("to", "/")
    if urlparse(target).netloc not in PARTNER_HOSTS:
        target = "/"
    return redirect(target)  # ok: PW214


@app.route("/partner/strict")
def partner_strict():
    target = request.args.get("to", "/")
    if urlsplit(target).hostname != "partner.example":
        return redirect("/")  # ok: PW214
    return redirect(target)  # ok: PW214


@app.route("/partner/path")
def partner_path():
    # The path is checked, not the host: `https://evil.example/docs` passes.
    target = request.args.get("to", "/")
    if not urlparse(target).path.startswith("/docs"):
        target = "/"
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target or not target.isprintable():
        return redirect("/")
    return redirect(target)  # ruleid: PW214
