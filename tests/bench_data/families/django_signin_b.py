from django.contrib.auth import authenticate, login
from django.http import HttpResponseRedirect, JsonResponse
from django.views.decorators.http import require_POST
from django.views.decorators.csrf import ensure_csrf_cookie


@ensure_csrf_cookie
def signin_page(request):
    return JsonResponse({"csrf": "set"})


@require_POST
def signin(request):
    user = authenticate(
        request,
        username=request.POST.get("username", ""),
        password=request.POST.get("password", ""),
    )
    if user is None or not user.is_active:
        return JsonResponse({"error": "invalid login"}, status=401)
    login(request, user)
    return HttpResponseRedirect("/")
