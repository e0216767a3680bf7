import hashlib

import bcrypt
from aiohttp import web
from aiohttp_session import get_session, new_session
from django.contrib.auth import authenticate, login
from flask import request, session
from werkzeug.security import check_password_hash


async def aio_login(request):  # ruleid: PW236
    form = await request.post()
    row = await request.app["users"].by_name(form["username"])
    if row is None or not bcrypt.checkpw(form["password"].encode(), row["pw_hash"]):
        raise web.HTTPUnauthorized()
    s = await get_session(request)
    s["user_id"] = row["id"]
    session["user"] = row["id"]
    raise web.HTTPFound("/")


async def aio_login_rotated(request):  # ok: PW236
    form = await request.post()
    row = await request.app["users"].by_name(form["username"])
    if row is None or not bcrypt.checkpw(form["password"].encode(), row["pw_hash"]):
        raise web.HTTPUnauthorized()
    s = await new_session(request)
    s["user_id"] = row["id"]
    raise web.HTTPFound("/")


def flask_login(user):  # ruleid: PW236
    if check_password_hash(user.pw_hash, request.form["password"]):
        session["user_id"] = user.id


def flask_login_cleared(user):  # ok: PW236
    if check_password_hash(user.pw_hash, request.form["password"]):
        session.clear()
        session["user_id"] = user.id


def django_signin(request):  # ruleid: PW236
    user = authenticate(request, username=request.POST["u"], password=request.POST["p"])
    if user is not None:
        request.session["_auth_user_id"] = str(user.pk)


def django_signin_framework(request):  # ok: PW236
    user = authenticate(request, username=request.POST["u"], password=request.POST["p"])
    if user is not None:
        login(request, user)


def remember_theme(request):  # ok: PW236
    session["theme"] = request.args.get("theme", "light")


async def aio_login_counted(request):  # ruleid: PW236
    # Two sessions read: which one to replace is not clear, so no fix is offered.
    form = await request.post()
    row = await request.app["users"].by_name(form["username"])
    if row is None or not bcrypt.checkpw(form["password"].encode(), row["pw_hash"]):
        failed = await get_session(request)
        failed["failures"] = failed.get("failures", 0) + 1
        raise web.HTTPUnauthorized()
    session = await get_session(request)
    session["user_id"] = row["id"]
    raise web.HTTPFound("/")


async def aio_login_by_hand(request):  # ruleid: PW236
    # The password compared by hand; the session read into a short name.
    form = await request.post()
    row = await request.app["users"].by_name(form["username"])
    if row is None or row["password"] != hashlib.sha256(form["password"].encode()).hexdigest():
        raise web.HTTPUnauthorized()
    s = await get_session(request)
    s["user_id"] = row["id"]
    raise web.HTTPFound("/")


async def change_password(request, user):  # ok: PW236
    # A password compared, but no one is logged in here: a message is stored.
    form = await request.post()
    if form["new_password"] != form["confirm"]:
        s = await get_session(request)
        s["flash"] = "the passwords differ"
        raise web.HTTPFound("/account")
    user.set_password(form["new_password"])
    raise web.HTTPFound("/")


async def aio_login_own_check(request):  # ruleid: PW236
    # The app's own credential check, given the submitted password.
    data = await request.post()
    user = await lookup_user(data["user"], data["password"])
    if user:
        session = await get_session(request)
        session["user_id"] = user.id
        raise web.HTTPFound("/")
    raise web.HTTPUnauthorized()


async def aio_login_own_check_rotated(request):  # ok: PW236
    data = await request.post()
    user = await lookup_user(data["user"], data["password"])
    if user:
        session = await new_session(request)
        session["user_id"] = user.id
        raise web.HTTPFound("/")
    raise web.HTTPUnauthorized()


async def lookup_user(name, password):
    return None
