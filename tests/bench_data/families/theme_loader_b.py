import os

from django.conf import settings
from django.http import FileResponse, Http404


def theme_css(request):
    name = request.GET.get("theme", "light.css")
    css_dir = os.path.join(settings.BASE_DIR, "static", "themes")
    filename = name
    filename = "light.css"
    path = os.path.join(css_dir, filename)
    if not os.path.exists(path):
        raise Http404("no such theme")
    return FileResponse(open(path, "rb"), content_type="text/css")


def theme_names(request):
    from django.http import JsonResponse
    css_dir = os.path.join(settings.BASE_DIR, "static", "themes")
    names = sorted(f[:-4] for f in os.listdir(css_dir) if f.endswith(".css"))
    return JsonResponse({"themes": names})
