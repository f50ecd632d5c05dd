"""The shape every API view shares: auth and scopes, parameters, Mastodon's errors, JSON.

A view is a plain function decorated with ``@api("read:statuses")``; it reads its
parameters from ``request.params`` (query, form or JSON body, merged as Mastodon does),
finds the caller on ``request.caller`` and returns something JSON can encode (or a
``Reply`` with headers). ``route()`` serves it with and without a trailing slash, one view
per HTTP method.
"""

import json
import logging
from functools import wraps

import orjson

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.db import transaction
from django.http import HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.urls import re_path
from django.views.decorators.csrf import csrf_exempt

from rostra.core import ratelimit
from rostra.core.errors import ActionError

from .auth import bearer_token, caller_for

log = logging.getLogger(__name__)

JSON_TYPE = "application/json; charset=utf-8"


class ApiError(Exception):
    """An answer in Mastodon's error shape: ``{"error": message}`` with an HTTP status."""

    def __init__(self, status, message, **extra):
        super().__init__(message)
        self.status = status
        self.message = message
        self.extra = extra


def not_found():
    return ApiError(404, "Record not found")


class Reply:
    """A JSON body with a status and extra headers (``Link`` for pagination)."""

    def __init__(self, data, status=200, headers=None):
        self.data = data
        self.status = status
        self.headers = headers or {}


def json_response(data, status=200, headers=None):
    # orjson: a 40-status timeline page is about 80 kB of JSON, which the standard library's
    # encoder took a millisecond or more to write.
    response = HttpResponse(orjson.dumps(data), status=status, content_type=JSON_TYPE)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def error_response(status, message, headers=None, **extra):
    return json_response({"error": message, **extra}, status=status, headers=headers)


class Params:
    """Parameters from the query string, a form or a JSON body, as Mastodon accepts them.

    ``getlist("media_ids")`` finds ``media_ids[]=1&media_ids[]=2``, ``media_ids=1`` and a JSON
    list alike. ``files`` holds uploads.
    """

    def __init__(self, request):
        self.data = {}
        self.files = {}
        for key, values in request.GET.lists():
            self._put(key, values)
        try:
            self._read_body(request)
        except ApiError:
            raise
        except (MultiPartParserError, UnicodeDecodeError, LookupError, ValueError) as e:
            # A multipart body without its boundary, a charset Python does not know...
            raise ApiError(400, f"The request body could not be read: {str(e)[:200]}") from None
        except RequestDataTooBig:
            raise ApiError(413, "The request body is too large") from None
        except SuspiciousOperation as e:  # too many fields, and the like
            raise ApiError(400, f"The request body could not be read: {str(e)[:200]}") from None

    def _read_body(self, request):
        content_type = request.META.get("CONTENT_TYPE", "")
        if request.method == "POST":
            self.files = request.FILES
        # PUT and PATCH: FILES is read only after the body is parsed below. Reading it first
        # would make Django parse the body as a non-POST (no fields, no files) and freeze it.
        if request.method in ("POST", "PUT", "PATCH", "DELETE"):
            if content_type.lower().startswith("application/json"):
                try:
                    body = json.loads(request.body or b"{}")
                except (ValueError, UnicodeDecodeError, RecursionError):
                    raise ApiError(400, "The request body is not valid JSON") from None
                if not isinstance(body, dict):
                    raise ApiError(400, "The request body must be a JSON object")
                for key, value in body.items():
                    self._put(key, value if isinstance(value, list) else [value], json=True)
            elif request.method in ("POST",) or content_type.lower().startswith(
                ("application/x-www-form-urlencoded", "multipart/form-data")
            ):
                if request.method != "POST":
                    # Django parses form bodies for POST only.
                    request.method, method = "POST", request.method
                    try:
                        request._load_post_and_files()
                    finally:
                        request.method = method
                    self.files = request.FILES
                for key, values in request.POST.lists():
                    self._put(key, values)

    def _put(self, key, values, json=False):
        if key.endswith("[]"):
            key = key[:-2]
        if not json:
            # Nested form keys ("source[privacy]", "fields_attributes[0][name]") are kept whole.
            pass
        self.data.setdefault(key, []).extend(values)

    def get(self, key, default=None):
        values = self.data.get(key)
        if not values:
            return default
        value = values[-1]
        if isinstance(value, (dict, list)):
            return value
        return value if value is not None else default

    def getlist(self, key):
        values = []
        for value in self.data.get(key, []):
            if isinstance(value, list):
                values.extend(value)
            elif value not in (None, ""):
                values.append(value)
        return values

    def text(self, key, default=""):
        value = self.get(key, default)
        if value is None:
            return default
        if not isinstance(value, str):
            if isinstance(value, (dict, list)):
                raise ApiError(422, f"Validation failed: {key} must be text")
            value = str(value)
        if "\x00" in value:
            raise ApiError(422, f"Validation failed: {key} contains a NUL character")
        return value

    def flag(self, key, default=False):
        value = self.get(key)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return value
        return str(value).lower() in ("1", "true", "t", "on", "yes")

    def number(self, key, default=None, minimum=None, maximum=None):
        value = self.get(key)
        if value in (None, ""):
            return default
        try:
            number = int(value)
        except (TypeError, ValueError, OverflowError):
            raise ApiError(422, f"Validation failed: {key} must be a number")
        if minimum is not None:
            number = max(number, minimum)
        if maximum is not None:
            number = min(number, maximum)
        return number

    def id(self, key):
        """An ID parameter: digits only, else None (an ID that cannot exist finds nothing)."""
        value = self.get(key)
        if value in (None, ""):
            return None
        value = str(value)
        return int(value) if value.isdigit() and len(value) < 20 else -1

    def __contains__(self, key):
        return key in self.data


def parse_id(value):
    """A path or parameter ID as an int; IDs that cannot exist raise 404, not 500."""
    value = str(value)
    if not value.isdigit() or len(value) > 19:
        raise not_found()
    return int(value)


# Requests a token (or an address, for anonymous calls) may make per window.
API_RATE = "api"


def _rate_limit(request, caller):
    key = f"t{caller.token_id}" if caller else f"ip{ratelimit.client_ip(request)}"
    try:
        remaining = ratelimit.hit(API_RATE, key)
    except ratelimit.RateLimited as limited:
        return None, limited
    return remaining, None


def _rate_headers(remaining, retry_after=None):
    import time
    from datetime import datetime, timezone

    limit, window = ratelimit.parse_limit(ratelimit_settings()[API_RATE])
    now = int(time.time())
    reset = (now // window + 1) * window
    headers = {
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": str(max(remaining, 0)),
        "X-RateLimit-Reset": datetime.fromtimestamp(reset, timezone.utc).isoformat().replace("+00:00", "Z"),
    }
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    return headers


def ratelimit_settings():
    from django.conf import settings

    return settings.ROSTRA_RATE_LIMITS


def api(scope=None, user=True):
    """Make a function an API view.

    ``scope``: the scope the token must cover (None: any token, or none when ``user`` is
    False). ``user``: True when a signed-in person is required, "optional" when the view
    answers anonymous callers too (public timelines, accounts, statuses), False when the
    caller does not matter.
    """

    def decorate(func):
        @wraps(func)
        def view(request, *args, **kwargs):
            token = bearer_token(request)
            caller = caller_for(token) if token else None
            if token and caller is None:
                return error_response(401, "The access token is invalid")
            if caller is None and user is True:
                return error_response(401, "The access token is invalid" if token else "This method requires an authenticated user")
            if caller is not None:
                if user is True and caller.user is None:
                    return error_response(422, "This method requires an authenticated user")
                if caller.account is not None and caller.account.is_suspended:
                    return error_response(403, "Your login is currently disabled")
                if scope and not caller.allows(scope):
                    return error_response(403, "This action is outside the authorized scopes")
            remaining, limited = _rate_limit(request, caller)
            if limited is not None:
                return error_response(429, "Too many requests", headers=_rate_headers(0, limited.retry_after))
            request.caller = caller
            request.viewer = caller.account if caller else None
            try:
                request.params = Params(request)
                result = func(request, *args, **kwargs)
            except ApiError as e:
                return error_response(e.status, e.message, headers=_rate_headers(remaining), **e.extra)
            except ratelimit.RateLimited as e:
                return error_response(429, str(e), headers=_rate_headers(0, e.retry_after))
            except ActionError as e:
                status = e.status if e.status in (403, 404, 410, 422, 429) else 422
                message = "Record not found" if status == 404 else e.message
                return error_response(status, message, headers=_rate_headers(remaining))
            if isinstance(result, HttpResponse):
                response = result
            elif isinstance(result, Reply):
                response = json_response(result.data, result.status, result.headers)
            else:
                response = json_response(result)
            for name, value in _rate_headers(remaining).items():
                response[name] = value
            return response

        view.api_scope = scope
        view.api_user = user
        return view

    return decorate


CORS_METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS"
CORS_EXPOSE = "Link, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, Retry-After"


def cross_origin(view):
    """Let web apps on other origins (Elk, Phanpy...) call the API, as Mastodon does.

    Any origin may: the API authenticates by bearer token, never by cookie, so a page on
    another site can do nothing with it that it could not do by asking the token's owner.
    Preflight requests (OPTIONS) are answered here without reaching the view.
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method == "OPTIONS":
            response = HttpResponse(status=204)
            response["Access-Control-Allow-Methods"] = CORS_METHODS
            asked = request.META.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS", "")
            response["Access-Control-Allow-Headers"] = asked[:1000] or "Authorization, Content-Type, Idempotency-Key"
            response["Access-Control-Max-Age"] = "86400"
        else:
            response = view(request, *args, **kwargs)
        response["Access-Control-Allow-Origin"] = "*"
        response["Access-Control-Expose-Headers"] = CORS_EXPOSE
        return response

    return wrapper


def _method_not_allowed(allowed):
    response = error_response(405, "Method not allowed")
    response["Allow"] = ", ".join(sorted(allowed))
    return response


def route(pattern, name=None, **handlers):
    """URL patterns for ``pattern`` with and without a trailing slash, dispatching by method.

    ``route(r"statuses/(?P<id>[^/]+)", get=status, delete=delete_status, put=edit_status)``.
    """
    allowed = {method.upper() for method in handlers}

    @csrf_exempt
    @cross_origin
    def dispatch(request, *args, **kwargs):
        handler = handlers.get(request.method.lower())
        if handler is None and request.method == "HEAD":
            handler = handlers.get("get")
        if handler is None:
            return _method_not_allowed(allowed)
        return handler(request, *args, **kwargs)

    dispatch.handlers = handlers
    dispatch.pattern = pattern
    return re_path(rf"^{pattern}/?$", dispatch, name=name)
