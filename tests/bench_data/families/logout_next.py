from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST


@require_POST
def sign_out(request):
    logout(request)
    nxt = request.POST.get("next") or request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(
        url=nxt,
        allowed_hosts={request.get_host(), *settings.TRUSTED_REDIRECT_HOSTS},
        require_https=request.is_secure(),
    ):
        nxt = settings.LOGOUT_REDIRECT_URL
    return HttpResponseRedirect(nxt)


def switch_language(request):
    lang = request.GET.get("lang", "en")
    back = request.META.get("HTTP_REFERER", "/")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = "/"
    resp = HttpResponseRedirect(back)
    if lang in dict(settings.LANGUAGES):
        resp.set_cookie(settings.LANGUAGE_COOKIE_NAME, lang)
    return resp
