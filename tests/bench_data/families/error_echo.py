from django.http import HttpResponse, HttpResponseNotFound
from django.urls import path


def lookup(request, slug):
    known = {"pricing": "/pricing/", "about": "/about-us/", "jobs": "/careers/"}
    if slug in known:
        return HttpResponse(status=302, headers={"Location": known[slug]})
    referer = request.headers.get("Referer", "")
    msg = "<p>No page called <code>{}</code>.</p>".format(slug)
    if referer:
        msg += '<p><a href="{}">Go back</a></p>'.format(referer)
    return HttpResponseNotFound(msg)


def index(request):
    return HttpResponse("<h1>Home</h1>")


urlpatterns = [
    path("", index),
    path("go/<str:slug>/", lookup),
]
