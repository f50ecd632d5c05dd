"""What every page view shares: who is looking, the page frame, errors, safe redirects."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.db.models.functions import Lower
from django.middleware.csrf import get_token
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme

from rostra.accounts.models import Account
from rostra.core.errors import ActionError
from rostra.core.models import InstanceSettings
from rostra.posts.models import Post
from rostra.posts.queries import can_see


def viewer_of(request):
    """The Account of whoever is signed in, or None; fetched once per request."""
    if not hasattr(request, "_viewer"):
        user = request.user
        request._viewer = None
        if user.is_authenticated:
            try:
                request._viewer = user.account
            except Account.DoesNotExist:
                pass
    return request._viewer


def is_htmx(request):
    return request.headers.get("HX-Request") == "true"


def page(request, template, context=None, status=200):
    """Render a full page (or, for htmx, the same template: blocks pick what they need)."""
    from rostra.timelines.queries import trending_hashtags, unread_notifications

    viewer = viewer_of(request)
    ctx = {
        # Masked once per page: Django's lazy csrf_token re-masks on every use (dozens a feed).
        "csrf": get_token(request),
        "viewer": viewer,
        "instance": InstanceSettings.current(),
        # Loaded with the viewer by the sign-in query (accounts.backends); counted here otherwise.
        "unread": (viewer.__dict__.get("unread_count") if viewer and "unread_count" in viewer.__dict__ else unread_notifications(viewer)) if viewer else 0,
        "trending": trending_hashtags(),
        "htmx": is_htmx(request),
    }
    ctx.update(context or {})
    return render(request, template, ctx, status=status)


def sign_in_required(view):
    """Send anonymous visitors to the log-in page, and back here afterwards."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if viewer_of(request) is None:
            if is_htmx(request):
                response = JsonResponse({"error": "Sign in first."}, status=401)
                response["HX-Redirect"] = f"/login?next={request.path}"
                return response
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapper


def safe_next(request, fallback="/"):
    """The ``next`` a form asked to return to, if it stays on this site."""
    target = request.POST.get("next") or request.GET.get("next") or request.headers.get("Referer") or fallback
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return fallback


def back(request, fallback="/"):
    return HttpResponseRedirect(safe_next(request, fallback))


def get_account(username):
    """A local account by its handle, or a remote one for ``user@domain``."""
    name, _, domain = username.partition("@")
    # LOWER() = matches the case-insensitive unique indexes; __iexact scans every account.
    qs = Account.objects.alias(username_lower=Lower("username")).filter(username_lower=name.lower())
    account = qs.filter(domain__iexact=domain).first() if domain else qs.filter(domain__isnull=True).first()
    if account is None:
        raise Http404("No such account.")
    return account


def get_visible_post(request, post_id):
    """The post, if the viewer may see it; otherwise a 404 that says no more than that."""
    try:
        post_id = int(post_id)
    except (TypeError, ValueError):
        raise Http404("No such post.")
    post = Post.objects.filter(pk=post_id).select_related("author", "echo_of", "echo_of__author").first()
    if post is None or not can_see(viewer_of(request), post):
        raise Http404("No such post.")
    return post


def error_response(request, exc: ActionError, template=None, context=None):
    """Show a refused action: JSON for scripts and htmx, the form again for pages."""
    if is_htmx(request):
        response = render(request, "_flash.html", {"message": exc.message, "kind": "error"}, status=exc.status)
        response["HX-Retarget"] = "#flash"
        response["HX-Reswap"] = "innerHTML"
        return response
    if template is None or request.headers.get("Accept", "").startswith("application/json"):
        return JsonResponse({"error": exc.message}, status=exc.status)
    ctx = dict(context or {})
    ctx["error"] = exc.message
    ctx["error_field"] = exc.field
    return page(request, template, ctx, status=exc.status)
