"""OAuth 2 as Mastodon apps expect it, on django-oauth-toolkit.

Mastodon apps register themselves (``POST /api/v1/apps``), then use any grant with the same
client: authorization code (with PKCE when they send a challenge), password, client
credentials and refresh. DOT keeps the clients, grants and tokens; this module adapts the
edges: form, JSON or query parameters, per-app scopes, custom-scheme and out-of-band
redirects, and a consent page in the web app.
"""

import secrets
from urllib.parse import quote, urlsplit

from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.http import HttpResponse, QueryDict
from django.views.decorators.csrf import csrf_exempt
from oauth2_provider.exceptions import OAuthToolkitError
from oauth2_provider.models import get_application_model
from oauth2_provider.oauth2_backends import get_oauthlib_core
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.scopes import BaseScopes

from rostra.accounts import actions as account_actions
from rostra.accounts.models import User
from rostra.core import ratelimit
from rostra.core.errors import ActionError

from . import scopes as scope_rules
from .http import ApiError, Params, api, cross_origin, error_response, json_response
from .models import ClientApp
from .serializers import base_url

OOB = "urn:ietf:wg:oauth:2.0:oob"
GRANTS = {"authorization_code", "password", "client_credentials", "refresh_token"}
# Mastodon derives a VAPID key pair for Web Push; Rostra does not push yet, but apps read it.
VAPID_KEY = "BCk-QqERU0q-CfYZjcuB6lnyyOYfJ2AifKqfeGIm7Z-HiTU5T9eTG5GxVA0_OH5mMlI4UkkDTpaZwozy0TzdZ2M="


def _redirect_uris(value):
    if isinstance(value, list):
        uris = [str(u).strip() for u in value]
    else:
        uris = str(value or "").split()
    return [u for u in uris if u]


def _valid_redirect_uri(uri):
    if uri == OOB:
        return True
    parts = urlsplit(uri)
    if not parts.scheme or not parts.scheme.replace("+", "").replace(".", "").replace("-", "").isalnum():
        return False
    if parts.scheme in ("http", "https"):
        return bool(parts.netloc)
    if parts.scheme.lower() in ("javascript", "data", "vbscript", "file"):
        return False
    return True


def app_json(app, client_app, secret=None):
    uris = app.redirect_uris.split()
    data = {
        "id": str(app.pk),
        "name": app.name,
        "website": client_app.website or None,
        "scopes": sorted(scope_rules.parse(client_app.scopes)),
        "redirect_uri": "\n".join(uris),
        "redirect_uris": uris,
        "vapid_key": VAPID_KEY,
    }
    if secret is not None:
        data["client_id"] = app.client_id
        data["client_secret"] = secret
        data["client_secret_expires_at"] = 0
    return data


@api(user=False)
def create_app(request):
    """``POST /api/v1/apps``: register a client; its secret is shown this once."""
    p = request.params
    ratelimit.hit("apps", ratelimit.client_ip(request))
    name = p.text("client_name").strip()
    if not name:
        raise ApiError(422, "Validation failed: Application name can't be blank")
    if len(name) > 100:
        raise ApiError(422, "Validation failed: Application name is too long (maximum is 100 characters)")
    uris = [uri for value in p.getlist("redirect_uris") for uri in _redirect_uris(str(value))]
    if not uris:
        raise ApiError(422, "Validation failed: Redirect URI can't be blank")
    for uri in uris:
        if len(uri) > 500 or not _valid_redirect_uri(uri):
            raise ApiError(422, "Validation failed: Redirect URI must be an absolute URI.")
    requested = scope_rules.parse(p.text("scopes", "read")) or {"read"}
    unknown = requested - set(scope_rules.ALL)
    if unknown:
        raise ApiError(422, f"Validation failed: Scopes are not supported: {' '.join(sorted(unknown))}")
    website = p.text("website").strip()[:500]
    Application = get_application_model()
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        app = Application(
            name=name,
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
            redirect_uris=" ".join(uris),
            client_secret=secret,
            skip_authorization=False,
            algorithm="",
        )
        app.save()
        client_app = ClientApp.objects.create(application=app, scopes=" ".join(sorted(requested)), website=website)
    return app_json(app, client_app, secret)


@api(user=False)
def verify_app(request):
    """``GET /api/v1/apps/verify_credentials``: the app a token belongs to."""
    caller = request.caller
    if caller is None:
        raise ApiError(401, "The access token is invalid")
    app = get_application_model().objects.filter(pk=caller.application_id).first()
    if app is None:
        raise ApiError(401, "The access token is invalid")
    client_app = ClientApp.objects.filter(application=app).first() or ClientApp(scopes="read")
    data = app_json(app, client_app)
    data["scopes"] = sorted(caller.scopes)
    return data


class Validator(OAuth2Validator):
    """DOT's validator, with Mastodon's rules for apps, scopes, redirects and users."""

    def validate_grant_type(self, client_id, grant_type, client, request, *args, **kwargs):
        return grant_type in GRANTS

    def validate_response_type(self, client_id, response_type, client, request, *args, **kwargs):
        return response_type == "code"

    def validate_redirect_uri(self, client_id, redirect_uri, request, *args, **kwargs):
        return redirect_uri in request.client.redirect_uris.split()

    def validate_scopes(self, client_id, scopes, client, request, *args, **kwargs):
        allowed = _app_scopes(client)
        return all(s in scope_rules.ALL and (s in allowed or scope_rules.covers(allowed, s)) for s in scopes)

    def get_default_scopes(self, client_id, request, *args, **kwargs):
        return ["read"] if "read" in _app_scopes(request.client) else sorted(_app_scopes(request.client))[:1]

    def validate_user(self, username, password, client, request, *args, **kwargs):
        ip = request.headers.get("REMOTE_ADDR", "unknown") if hasattr(request, "headers") else "unknown"
        try:
            account_actions.log_in_allowed(username, ip)
        except ActionError:
            return False
        canonical = User.objects.filter(username__iexact=username).values_list("username", flat=True).first()
        return super().validate_user(canonical or username, password, client, request, *args, **kwargs)


def _app_scopes(client):
    client_app = ClientApp.objects.filter(application_id=client.pk).only("scopes").first()
    return scope_rules.parse(client_app.scopes) if client_app else {"read"}


class Scopes(BaseScopes):
    """All of Mastodon's scopes are known; which an app may use is checked per app above."""

    def get_all_scopes(self):
        return {s: s for s in scope_rules.ALL}

    def get_available_scopes(self, application=None, request=None, *args, **kwargs):
        return list(scope_rules.ALL)

    def get_default_scopes(self, application=None, request=None, *args, **kwargs):
        return ["read"]


def _oauth_params(request):
    """Form, JSON and query parameters, as the form body oauthlib reads."""
    try:
        params = Params(request)
    except ApiError as e:
        return None, error_response(e.status, e.message)
    form = QueryDict(mutable=True)
    for key, values in params.data.items():
        for value in values:
            if isinstance(value, (dict, list)):
                continue
            form.appendlist(key, "" if value is None else str(value))
    if "scope" not in form and "scopes" in form:
        form.setlist("scope", form.getlist("scopes"))
    if "scope" in form:
        form["scope"] = " ".join(scope_rules.parse(form["scope"]))
    return form, None


def _as_form_post(request, form):
    request.method = "POST"
    request._post = form
    request._files = {}
    request.META["CONTENT_TYPE"] = "application/x-www-form-urlencoded"
    request.GET = QueryDict()
    request.META["QUERY_STRING"] = ""
    request.path_info = request.path
    return request


def _oauth_error(body, status):
    import json

    try:
        data = json.loads(body or "{}")
    except ValueError:
        data = {}
    error = data.get("error", "invalid_request")
    description = data.get("error_description") or {
        "invalid_grant": "The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.",
        "invalid_client": "Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.",
        "invalid_scope": "The requested scope is invalid, unknown, or malformed.",
        "unsupported_grant_type": "The authorization grant type is not supported by the authorization server.",
    }.get(error, "The request is missing a required parameter, includes an unsupported parameter value, or is otherwise malformed.")
    return json_response({"error": error, "error_description": description}, status=status)


@csrf_exempt
@cross_origin
def token(request):
    """``POST /oauth/token``: every grant, with parameters as form, JSON or query string."""
    if request.method != "POST":
        return error_response(405, "Method not allowed")
    form, failure = _oauth_params(request)
    if failure:
        return failure
    if form.get("grant_type") == "password":
        try:
            ratelimit.hit("login", ratelimit.client_ip(request))
        except ratelimit.RateLimited as limited:
            return error_response(429, str(limited), headers={"Retry-After": str(limited.retry_after)})
    core = get_oauthlib_core()
    url, headers, body, status = core.create_token_response(_as_form_post(request, form))
    if status != 200:
        return _oauth_error(body, status)
    import json
    import time

    data = json.loads(body)
    data["created_at"] = int(time.time())
    response = json_response(data)
    response["Cache-Control"] = "no-store"
    response["Pragma"] = "no-cache"
    return response


@csrf_exempt
@cross_origin
def revoke(request):
    """``POST /oauth/revoke``: the token stops working at once; Mastodon answers ``{}``."""
    if request.method != "POST":
        return error_response(405, "Method not allowed")
    form, failure = _oauth_params(request)
    if failure:
        return failure
    core = get_oauthlib_core()
    url, headers, body, status = core.create_revocation_response(_as_form_post(request, form))
    if status != 200:
        if status == 401:
            return json_response(
                {"error": "unauthorized_client", "error_description": "You are not authorized to revoke this token"},
                status=403,
            )
        return _oauth_error(body, status)
    return json_response({})


def authorize(request):
    """``/oauth/authorize``: the consent page; signing in first if needed."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), "/login")
    core = get_oauthlib_core()
    # The form posts back to the same URL; oauthlib validates the query string either way.
    original_method = request.method
    request.method = "GET"
    post, request._post = getattr(request, "_post", None), QueryDict()
    try:
        scopes, credentials = core.validate_authorization_request(request)
    except OAuthToolkitError as error:
        request.method = original_method
        return _authorize_error(request, error)
    finally:
        request.method = original_method
        if post is not None:
            request._post = post
        else:
            del request._post
    Application = get_application_model()
    app = Application.objects.get(client_id=credentials["client_id"])
    if original_method == "POST":
        if request.POST.get("decision") != "allow":
            return _finish(credentials, "error=access_denied&error_description=The+resource+owner+denied+the+request.", request)
        uri, headers, body, status = core.create_authorization_response(
            request, scopes=list(scopes), credentials=credentials, allow=True
        )
        location = headers.get("Location", uri)
        if credentials.get("redirect_uri") == OOB:
            code = QueryDict(urlsplit(location).query).get("code", "")
            from rostra.web.views.common import page

            return page(request, "oauth/code.html", {"app": app, "code": code, "title": "Authorization code"})
        response = HttpResponse(status=302)
        response["Location"] = location
        return response
    from rostra.web.views.common import page

    return page(
        request,
        "oauth/authorize.html",
        {
            "app": app,
            "website": getattr(getattr(app, "rostra", None), "website", ""),
            "scopes": scope_rules.describe(set(scopes)),
            "redirect_host": urlsplit(credentials.get("redirect_uri") or "").netloc or credentials.get("redirect_uri"),
            "title": f"Authorize {app.name}",
        },
    )


def _finish(credentials, query, request):
    redirect_uri = credentials.get("redirect_uri")
    if not redirect_uri or redirect_uri == OOB:
        from rostra.web.views.common import page

        return page(request, "oauth/denied.html", {"title": "Not authorized"})
    state = credentials.get("state")
    if state:
        query += f"&state={quote(state)}"
    response = HttpResponse(status=302)
    response["Location"] = redirect_uri + ("&" if "?" in redirect_uri else "?") + query
    return response


def _authorize_error(request, error):
    from rostra.web.views.common import page

    oauth_error = getattr(error, "oauthlib_error", None)
    description = getattr(oauth_error, "description", "") or "This authorization request is not valid."
    return page(request, "oauth/error.html", {"title": "Authorization failed", "description": description}, status=400)


def server_metadata(request):
    """``/.well-known/oauth-authorization-server`` (RFC 8414), as Mastodon publishes it."""
    base = f"{request.scheme}://{request.get_host()}"
    return json_response(
        {
            "issuer": base + "/",
            "service_documentation": "https://docs.joinmastodon.org/",
            "authorization_endpoint": base + "/oauth/authorize",
            "token_endpoint": base + "/oauth/token",
            "app_registration_endpoint": base + "/api/v1/apps",
            "revocation_endpoint": base + "/oauth/revoke",
            "userinfo_endpoint": base + "/api/v1/accounts/verify_credentials",
            "scopes_supported": list(scope_rules.ALL),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query", "fragment", "form_post"],
            "grant_types_supported": sorted(GRANTS),
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
            "code_challenge_methods_supported": ["S256"],
        }
    )
