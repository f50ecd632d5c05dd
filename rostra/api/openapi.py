"""Rostra's own OpenAPI description: exactly the (path, method) pairs the API serves.

The document is built from two things: the route table (``rostra.api.urls``; every
``route()`` knows its pattern and its views, every view its scope) and the Mastodon API's
OpenAPI description (``../shared/specs/mastodon-openapi/schema.json``, Mastodon 4.7,
GFDL-1.3), from which each served operation is taken with the component schemas it refers
to. Endpoints Mastodon does not have (nodeinfo, this document) are described here in
``EXTRA_OPERATIONS``.

The running server cannot read ``../shared``, so the document is generated once and
committed as ``rostra/api/openapi.json``; ``scripts/openapi`` regenerates it, and
``tests/api/test_contract.py`` fails when the committed document and the route table
disagree. ``GET /api/openapi.json`` serves the committed file with the request's own
server URL.
"""

import copy
import json
import re
from functools import lru_cache
from pathlib import Path

from .http import error_response, json_response, route

DOCUMENT_PATH = Path(__file__).with_name("openapi.json")
# The Mastodon description, where a checkout keeps it: beside the repository, in shared/.
MASTODON_SPEC = Path(__file__).resolve().parents[3] / "shared" / "specs" / "mastodon-openapi" / "schema.json"

METHODS = ("get", "post", "put", "patch", "delete")

# Django ``path()`` views outside ``route()`` (OAuth, served by django-oauth-toolkit); the
# methods each answers. A new plain path in rostra.api.urls must be added here.
PLAIN_VIEWS = {
    "/oauth/authorize": ("get",),
    "/oauth/token": ("post",),
    "/oauth/revoke": ("post",),
}


def _json_op(summary, schema, scope_user=False, tags=("rostra",)):
    return {
        "summary": summary,
        "tags": list(tags),
        "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": schema}}}},
    }


# Operations Rostra serves that the Mastodon description lacks, keyed by (path, method).
EXTRA_OPERATIONS = {
    ("/.well-known/nodeinfo", "get"): _json_op(
        "Where the NodeInfo document is",
        {
            "type": "object",
            "required": ["links"],
            "properties": {
                "links": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["rel", "href"],
                        "properties": {"rel": {"type": "string"}, "href": {"type": "string", "format": "uri"}},
                    },
                }
            },
        },
        tags=("nodeinfo",),
    ),
    ("/nodeinfo/2.0", "get"): {
        "summary": "NodeInfo 2.0: software, protocols, usage",
        "tags": ["nodeinfo"],
        "responses": {
            "200": {
                "description": "OK",
                "content": {
                    'application/json; profile="http://nodeinfo.diaspora.software/ns/schema/2.0#"': {
                        "schema": {
                            "type": "object",
                            "required": ["version", "software", "protocols", "usage", "openRegistrations"],
                            "properties": {
                                "version": {"const": "2.0"},
                                "software": {
                                    "type": "object",
                                    "required": ["name", "version"],
                                    "properties": {"name": {"type": "string"}, "version": {"type": "string"}},
                                },
                                "protocols": {"type": "array", "items": {"type": "string"}},
                                "services": {"type": "object"},
                                "usage": {"type": "object"},
                                "openRegistrations": {"type": "boolean"},
                                "metadata": {"type": "object"},
                            },
                        }
                    }
                },
            }
        },
    },
    ("/api/openapi.json", "get"): _json_op(
        "This document: Rostra's OpenAPI description of the endpoints it serves",
        {"type": "object", "required": ["openapi", "paths"], "properties": {"openapi": {"type": "string"}, "paths": {"type": "object"}}},
    ),
}


EXTRA_OPERATIONS[("/api/v1/notifications/dismiss", "post")] = {
    "summary": "Dismiss one notification (Mastodon's API before 3.0; the ID in the body)",
    "tags": ["notifications"],
    "deprecated": True,
    "requestBody": {
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}}
            },
            "application/json": {
                "schema": {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}}
            },
        }
    },
    "responses": {
        "200": {"description": "Dismissed", "content": {"application/json": {"schema": {"type": "object"}}}},
        "404": {"description": "No such notification", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
    },
}

# Served paths that are other names for a Mastodon operation (old names apps still call).
ALIASES = {
    ("/api/v1/trends", "get"): ("/api/v1/trends/tags", "get"),
    ("/api/v2/filter_keywords/{id}", "get"): ("/api/v2/filters/keywords/{id}", "get"),
    ("/api/v2/filter_keywords/{id}", "put"): ("/api/v2/filters/keywords/{id}", "put"),
    ("/api/v2/filter_keywords/{id}", "delete"): ("/api/v2/filters/keywords/{id}", "delete"),
}


def correct(spec):
    """Mend the Mastodon description where it contradicts Mastodon itself (in place; returned).

    - ``Status.quote`` is ``oneOf`` Quote / ShallowQuote, but both only require ``state``, so
      every quote matches both and ``oneOf`` can never hold: ``anyOf``.
    - ``GET /api/v1/filters`` answers a list of V1Filter ("List of [V1::Filter]"), described
      as a single one.
    """
    quote = spec["components"]["schemas"]["Status"]["properties"]["quote"]
    if "oneOf" in quote:
        quote["anyOf"] = quote.pop("oneOf")
    content = spec["paths"]["/api/v1/filters"]["get"]["responses"]["200"]["content"]["application/json"]
    if content["schema"].get("$ref") == "#/components/schemas/V1Filter":
        content["schema"] = {"type": "array", "items": content["schema"]}
    return spec


class MissingOperation(Exception):
    """A served (path, method) that neither the Mastodon description nor EXTRA_OPERATIONS describes."""


def _template(regex):
    """``api/v1/statuses/(?P<id>[^/]+)`` -> ``/api/v1/statuses/{id}``."""
    path = re.sub(r"\(\?P<(\w+)>(?:[^()]|\([^()]*\))*\)", r"{\1}", regex)
    path = path.replace("\\", "")
    if re.search(r"[()\[\]^$?*+|]", path):
        raise ValueError(f"cannot describe the route pattern {regex!r}")
    return "/" + path.lstrip("/")


def shape(path):
    """A path with its parameters' names left out, to compare templates: ``/a/{}/b``."""
    return re.sub(r"\{[^}]+\}", "{}", path)


class Served:
    """One served (path, method): its template, the regex that matches it, its view."""

    __slots__ = ("path", "method", "regex", "view")

    def __init__(self, path, method, regex, view):
        self.path, self.method, self.regex, self.view = path, method, regex, view

    @property
    def scope(self):
        return getattr(self.view, "api_scope", None)

    @property
    def user(self):
        return getattr(self.view, "api_user", False)

    def __repr__(self):
        return f"{self.method.upper()} {self.path}"


def _walk(patterns, prefix=""):
    from django.urls import URLPattern, URLResolver

    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern).lstrip("^"))
        elif isinstance(entry, URLPattern):
            yield prefix, entry


def served_operations(urlpatterns=None):
    """Every (path, method) the API answers, in route-table order, from ``rostra.api.urls``."""
    if urlpatterns is None:
        from . import urls

        urlpatterns = urls.urlpatterns
    found = []
    for prefix, entry in _walk(urlpatterns):
        callback = entry.callback
        handlers = getattr(callback, "handlers", None)
        # The pattern Django really matches: the prefixes of includes, then the route's own.
        full = prefix + str(entry.pattern).lstrip("^")
        if handlers is not None:
            if full.endswith("/?$"):
                full = full[: -len("/?$")]
            path = _template(full)
            regex = re.compile(rf"^/{full}/?$")
            for method, view in handlers.items():
                found.append(Served(path, method.lower(), regex, view))
            continue
        path = "/" + full.rstrip("$")
        if path not in PLAIN_VIEWS:
            raise MissingOperation(f"{path} is a plain Django view; add its methods to PLAIN_VIEWS")
        for method in PLAIN_VIEWS[path]:
            found.append(Served(path, method, re.compile(rf"^{re.escape(path)}/?$"), callback))
    return found


def _refs(node, found):
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/"):
            found.add(ref)
        for value in node.values():
            _refs(value, found)
    elif isinstance(node, list):
        for value in node:
            _refs(value, found)


def _strip(operation):
    """Leave out examples and response links: large, and they point at operations we may not serve."""
    for parameter in operation.get("parameters", []):
        parameter.pop("examples", None)
        parameter.pop("example", None)
    bodies = [operation.get("requestBody") or {}]
    for response in operation.get("responses", {}).values():
        response.pop("links", None)
        bodies.append(response)
    for body in bodies:
        for media_type in (body.get("content") or {}).values():
            media_type.pop("examples", None)
            media_type.pop("example", None)
    return operation


def _security(served):
    """The scopes Rostra itself asks for (``@api(scope, user)``), not Mastodon's."""
    if served.path in PLAIN_VIEWS or not hasattr(served.view, "api_scope"):
        return []
    scopes = [served.scope] if served.scope else []
    if served.user is True:
        return [{"OAuth2": scopes}]
    return [{}, {"OAuth2": scopes}]


def build(mastodon_spec=None, urlpatterns=None):
    """The OpenAPI 3.1 document for what Rostra serves, from the Mastodon description."""
    if mastodon_spec is None:
        mastodon_spec = json.loads(MASTODON_SPEC.read_text())
    spec = correct(copy.deepcopy(mastodon_spec))
    by_shape = {shape(path): path for path in spec["paths"]}
    paths, missing = {}, []
    for served in served_operations(urlpatterns):
        mastodon_path = by_shape.get(shape(served.path))
        operation = None
        if mastodon_path is not None and served.method in spec["paths"][mastodon_path]:
            operation = copy.deepcopy(spec["paths"][mastodon_path][served.method])
            path = mastodon_path
        elif (served.path, served.method) in ALIASES:
            alias_path, alias_method = ALIASES[(served.path, served.method)]
            operation = copy.deepcopy(spec["paths"][alias_path][alias_method])
            operation["operationId"] = _operation_id(served)
            operation["summary"] = f"{operation.get('summary', '')} (another name for {alias_path})".strip()
            path = served.path
        elif (served.path, served.method) in EXTRA_OPERATIONS:
            operation = copy.deepcopy(EXTRA_OPERATIONS[(served.path, served.method)])
            path = served.path
            operation.setdefault("operationId", _operation_id(served))
            params = re.findall(r"\{(\w+)\}", path)
            if params:
                operation.setdefault(
                    "parameters",
                    [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}} for name in params],
                )
        if operation is None:
            missing.append(repr(served))
            continue
        operation["security"] = _security(served)
        if served.scope:
            operation["x-rostra-scope"] = served.scope
        paths.setdefault(path, {})[served.method] = _strip(operation)
    if missing:
        raise MissingOperation("no description for " + ", ".join(missing) + "; add them to EXTRA_OPERATIONS")
    components = {}
    pending = set()
    _refs(paths, pending)
    seen = set()
    while pending:
        ref = pending.pop()
        if ref in seen:
            continue
        seen.add(ref)
        _, _, kind, name = ref.split("/", 3)
        item = copy.deepcopy(spec["components"][kind][name])
        components.setdefault(kind, {})[name] = item
        _refs(item, pending)
    components["securitySchemes"] = copy.deepcopy(spec["components"]["securitySchemes"])
    ordered = {kind: dict(sorted(items.items())) for kind, items in sorted(components.items())}
    info = spec["info"]
    return {
        "openapi": spec["openapi"],
        "info": {
            "title": "Rostra: the Mastodon client API it serves",
            "version": info["version"],
            "description": (
                "The endpoints this Rostra server answers, described by the operations and schemas of "
                f"the Mastodon API's OpenAPI description ({info['title']} {info['version']}), with "
                "Rostra's own scopes in `security`. "
                "Derived from the unofficial Mastodon API description generated with mastodon-openapi "
                "(github.com/abraham/mastodon-openapi, MIT licence, Copyright (c) 2025 abraham) from the "
                "Mastodon documentation, which is licensed under the GNU Free Documentation License 1.3 "
                "(GFDL-1.3); this derived description is distributed under the same licence. "
                "See docs/mastodon-api.md for what Rostra does differently."
            ),
            "license": copy.deepcopy(info["license"]),
        },
        "externalDocs": copy.deepcopy(spec.get("externalDocs", {})),
        "servers": [{"url": "/", "description": "This Rostra server"}],
        "security": [],
        "paths": dict(sorted(paths.items())),
        "components": ordered,
    }


def _operation_id(served):
    words = re.findall(r"[A-Za-z0-9]+", served.path)
    return served.method + "".join(word[:1].upper() + word[1:] for word in words)


def dumps(document):
    return json.dumps(document, indent=1, ensure_ascii=False) + "\n"


@lru_cache(maxsize=1)
def committed():
    """The committed document (``rostra/api/openapi.json``)."""
    return json.loads(DOCUMENT_PATH.read_text(encoding="utf-8"))


def document_view(request):
    """``GET /api/openapi.json``: the committed description, pointing at this server."""
    try:
        document = dict(committed())
    except FileNotFoundError:
        # An install that left the data file out (package-data must list rostra/api/openapi.json).
        return error_response(503, "This server's OpenAPI description is not installed")
    document["servers"] = [{"url": f"{request.scheme}://{request.get_host()}", "description": "This Rostra server"}]
    response = json_response(document)
    response["Access-Control-Allow-Origin"] = "*"
    response["Cache-Control"] = "public, max-age=300"
    return response


routes = [route(r"api/openapi\.json", get=document_view)]


# Where a view checks its scope itself, what it accepts (for the table in docs/mastodon-api.md).
SCOPE_NOTES = {
    ("get", "/api/v1/accounts/verify_credentials"): "`read:accounts` or `profile`",
    ("get", "/api/v1/apps/verify_credentials"): "any app or user token",
    ("post", "/oauth/token"): "client credentials",
    ("post", "/oauth/revoke"): "client credentials",
    ("get", "/oauth/authorize"): "signed-in web session",
}
DOCS_PATH = Path(__file__).resolve().parents[2] / "docs" / "mastodon-api.md"
TABLE_START = "<!-- endpoints: generated by scripts/openapi from the route table -->"
TABLE_END = "<!-- end of endpoints -->"


def endpoint_table(served=None):
    """The Markdown table of served endpoints, their scopes and who may call them."""
    served = served if served is not None else served_operations()
    callers = {True: "a person", "optional": "anyone", False: "anyone"}
    rows = ["| Method | Path | Scope | Caller |", "|---|---|---|---|"]
    for item in sorted(served, key=lambda s: (s.path, METHODS.index(s.method) if s.method in METHODS else 9)):
        note = SCOPE_NOTES.get((item.method, item.path))
        scope = note or (f"`{item.scope}`" if item.scope else "none")
        caller = callers.get(item.user, "anyone")
        if item.path == "/api/v1/accounts" and item.method == "post":
            caller = "an app (client credentials)"
        elif item.path == "/api/v1/apps/verify_credentials":
            caller = "an app or a person"
        rows.append(f"| {item.method.upper()} | `{item.path}` | {scope} | {caller} |")
    return "\n".join(rows)


def docs_with_table(text, table):
    """``text`` (docs/mastodon-api.md) with the generated table between its markers."""
    start, end = text.find(TABLE_START), text.find(TABLE_END)
    if start < 0 or end < start:
        return text
    return text[: start + len(TABLE_START)] + "\n\n" + table + "\n\n" + text[end:]


def main(argv=None):
    """``scripts/openapi [--check] [--spec PATH]``: regenerate (or check) rostra/api/openapi.json."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--check", action="store_true", help="fail when the committed document is out of date")
    parser.add_argument("--spec", type=Path, default=MASTODON_SPEC, help="the Mastodon OpenAPI description")
    args = parser.parse_args(argv)
    document = dumps(build(json.loads(args.spec.read_text(encoding="utf-8"))))
    current = DOCUMENT_PATH.read_text(encoding="utf-8") if DOCUMENT_PATH.exists() else ""
    if args.check:
        stale = current != document
        if DOCS_PATH.exists():
            text = DOCS_PATH.read_text(encoding="utf-8")
            stale = stale or docs_with_table(text, endpoint_table()) != text
        if stale:
            print(f"{DOCUMENT_PATH} or the table in {DOCS_PATH} is out of date: run scripts/openapi", file=sys.stderr)
            return 1
        return 0
    if current != document:
        DOCUMENT_PATH.write_text(document, encoding="utf-8")
        print(f"wrote {DOCUMENT_PATH} ({len(json.loads(document)['paths'])} paths)")
    if DOCS_PATH.exists():
        text = DOCS_PATH.read_text(encoding="utf-8")
        updated = docs_with_table(text, endpoint_table())
        if updated != text:
            DOCS_PATH.write_text(updated, encoding="utf-8")
            print(f"updated the endpoint table in {DOCS_PATH}")
    return 0
