"""The Mastodon client API and OAuth. Each views module lists its own ``routes``."""

from django.urls import path

from . import oauth, openapi
from .http import route
from .views import instance

urlpatterns = [
    route(r"api/v1/apps", post=oauth.create_app),
    route(r"api/v1/apps/verify_credentials", get=oauth.verify_app),
    path("oauth/authorize", oauth.authorize, name="oauth_authorize"),
    path("oauth/token", oauth.token, name="oauth_token"),
    path("oauth/revoke", oauth.revoke, name="oauth_revoke"),
    route(r"\.well-known/oauth-authorization-server", get=oauth.server_metadata),
    *instance.routes,
    # Rostra's own OpenAPI description of what it serves (rostra/api/openapi.json).
    *openapi.routes,
]

# Endpoint groups added as they are built; each module owns its routes.
for _module in ("accounts", "statuses", "timelines", "notifications", "search", "media", "lists", "filters", "reports", "markers"):
    try:
        _mod = __import__(f"rostra.api.views.{_module}", fromlist=["routes"])
    except ModuleNotFoundError as _missing:
        if _missing.name != f"rostra.api.views.{_module}":
            raise
        continue
    urlpatterns += _mod.routes


def _under_api_prefix(patterns):
    """Group every ``api/...`` route under one ``^api/`` prefix.

    Django tries URL patterns in order; two hundred API regexes in front of the web app cost a
    feed page about a tenth of its time. Behind one prefix, a web page pays one regex for all
    of them, and an API call skips the web app's patterns.
    """
    from django.urls import URLPattern, include, re_path

    inner, outer = [], []
    for pattern in patterns:
        regex = getattr(pattern.pattern, "_regex", "")
        if isinstance(pattern, URLPattern) and isinstance(regex, str) and regex.startswith("^api/"):
            inner.append(re_path("^" + regex[len("^api/") :], pattern.callback, name=pattern.name))
        else:
            outer.append(pattern)
    return [re_path(r"^api/", include(inner)), *outer]


urlpatterns = _under_api_prefix(urlpatterns)
