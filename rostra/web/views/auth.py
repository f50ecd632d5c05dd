"""Signing up, in and out."""

from django.contrib.auth import authenticate, login, logout
from django.http import HttpResponseRedirect
from django.views.decorators.http import require_POST

from rostra.accounts import actions
from rostra.accounts.models import User
from rostra.core.errors import ActionError
from rostra.core.ratelimit import client_ip

from .common import error_response, page, safe_next


def signup(request):
    if request.method != "POST":
        return page(request, "accounts/signup.html", {"title": "Sign up"})
    form = {"username": request.POST.get("username", ""), "email": request.POST.get("email", "")}
    try:
        password = request.POST.get("password", "")
        if password != request.POST.get("password_again", password):
            raise ActionError("The two passwords differ.", field="password")
        user = actions.sign_up(form["username"], password, email=form["email"], ip=client_ip(request))
    except ActionError as exc:
        return error_response(request, exc, "accounts/signup.html", {"form": form, "title": "Sign up"})
    login(request, user, backend="rostra.accounts.backends.AccountBackend")
    return HttpResponseRedirect("/")


def log_in(request):
    next_url = safe_next(request, "/") if (request.POST.get("next") or request.GET.get("next")) else "/"
    if request.method != "POST":
        return page(request, "accounts/login.html", {"next": next_url, "title": "Log in"})
    username = request.POST.get("username", "").strip()
    try:
        actions.log_in_allowed(username, client_ip(request))
        # Usernames are unique case-insensitively; sign in with any capitalisation.
        canonical = User.objects.filter(username__iexact=username).values_list("username", flat=True).first()
        user = authenticate(request, username=canonical or username, password=request.POST.get("password", ""))
        if user is None:
            raise ActionError("That username and password do not match.", status=400)
    except ActionError as exc:
        return error_response(
            request, exc, "accounts/login.html", {"form": {"username": username}, "next": next_url, "title": "Log in"}
        )
    login(request, user)
    return HttpResponseRedirect(next_url)


@require_POST
def log_out(request):
    logout(request)
    return HttpResponseRedirect("/")
