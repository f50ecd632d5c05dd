"""Filters: Mastodon's filters (v2, and the v1 list) over Rostra's muted terms.

Rostra has one simpler thing: a muted term (``KeywordFilter``) that hides matching posts
everywhere. So one muted term is one Mastodon filter with one keyword, titled by the term,
in every context, with ``filter_action`` "hide" and no expiry; the filter and its keyword
share the term's ID. A filter created with several keywords becomes several muted terms:
the answer to the create shows them all (so the app sees what it asked for), and later
reads show each as its own filter. A filter created with no keywords mutes its title.
Titles, contexts, "warn" and expiry are accepted and not kept.
"""

from rostra.accounts import actions
from rostra.accounts.models import KeywordFilter
from rostra.core.errors import NotFound

from ..http import ApiError, api, parse_id, route

CONTEXT = ["home", "notifications", "public", "thread", "account"]
FILTER_ACTIONS = ("warn", "hide", "blur")


def keyword(term):
    return {"id": str(term.pk), "keyword": term.phrase, "whole_word": term.whole_word}


def as_filter(term, terms=None):
    """The Mastodon Filter for a muted term (``terms``: the keywords to show, when several)."""
    return {
        "id": str(term.pk),
        "title": term.phrase,
        "context": list(CONTEXT),
        "expires_at": None,
        "filter_action": "hide",
        "keywords": [keyword(t) for t in (terms if terms is not None else [term])],
        "statuses": [],
    }


def as_v1_filter(term):
    return {
        "id": str(term.pk),
        "phrase": term.phrase,
        "context": list(CONTEXT),
        "expires_at": None,
        "irreversible": True,
        "whole_word": term.whole_word,
    }


def _term(viewer, term_id):
    found = KeywordFilter.objects.filter(account=viewer, pk=parse_id(term_id)).first()
    if found is None:
        raise NotFound()
    return found


def _terms(viewer):
    return list(KeywordFilter.objects.filter(account=viewer).order_by("id"))


def _check_common(params):
    """Refuse what Mastodon refuses: unknown contexts or actions. Accepted values are not kept."""
    contexts = [str(c) for c in params.getlist("context")]
    unknown = [c for c in contexts if c not in CONTEXT]
    if unknown:
        raise ApiError(422, f"Validation failed: Context includes invalid values: {', '.join(unknown)[:100]}")
    action = params.get("filter_action")
    if action not in (None, "") and action not in FILTER_ACTIONS:
        raise ApiError(422, "Validation failed: Filter action is not included in the list")


def _keyword_attributes(params):
    """``keywords_attributes[]`` as dicts, from JSON or from form keys like ``keywords_attributes[0][keyword]``.

    Mastodon.py and most apps send ``keywords_attributes[][keyword]`` (one list per field).
    """
    items = []
    for value in params.getlist("keywords_attributes"):
        if isinstance(value, dict):
            items.append(value)
    indexed = {}
    flat = {}
    for key, values in params.data.items():
        if not key.startswith("keywords_attributes["):
            continue
        rest = key[len("keywords_attributes[") :]
        index, _, field = rest.partition("][")
        field = field.rstrip("]")
        if not field:
            continue
        if index == "":
            flat.setdefault(field, []).extend(values)
        else:
            indexed.setdefault(index, {})[field] = values[-1]
    if flat:
        count = max(len(v) for v in flat.values())
        for i in range(count):
            items.append({f: v[i] for f, v in flat.items() if i < len(v)})
    items.extend(indexed[k] for k in sorted(indexed, key=lambda k: (len(k), k)))
    return items


def _flag(value, default=True):
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    return str(value).lower() in ("1", "true", "t", "on", "yes")


def _text(value, what="keyword"):
    if not isinstance(value, (str, int, float)):
        raise ApiError(422, f"Validation failed: {what} must be text")
    value = str(value)
    if "\x00" in value:
        raise ApiError(422, f"Validation failed: {what} contains a NUL character")
    return value


def _add(viewer, phrase, whole_word=True):
    return actions.add_keyword_filter(viewer, _text(phrase), whole_word=_flag(whole_word))


def _apply_keywords(viewer, items):
    """Create, change or delete muted terms per ``keywords_attributes``; returns the new ones.

    A change is a removal and a new term (Rostra has no edit), so a changed keyword gets a new ID.
    """
    created = []
    for item in items:
        term_id = item.get("id")
        if term_id not in (None, ""):
            term = _term(viewer, term_id)
            if _flag(item.get("_destroy"), default=False):
                actions.remove_keyword_filter(viewer, term.pk)
                continue
            phrase = item.get("keyword", term.phrase)
            whole_word = _flag(item.get("whole_word"), default=term.whole_word)
            if phrase != term.phrase or whole_word != term.whole_word:
                actions.remove_keyword_filter(viewer, term.pk)
                created.append(_add(viewer, phrase, whole_word))
        elif item.get("keyword") not in (None, ""):
            created.append(_add(viewer, item["keyword"], item.get("whole_word")))
    return created


@api("read:filters")
def list_filters(request):
    return [as_filter(t) for t in _terms(request.viewer)]


@api("write:filters")
def create_filter(request):
    params = request.params
    title = params.text("title").strip()
    _check_common(params)
    items = _keyword_attributes(params)
    if not title and not items:
        raise ApiError(422, "Validation failed: Title can't be blank")
    created = _apply_keywords(request.viewer, [i for i in items if not i.get("id")])
    if not created:
        created = [_add(request.viewer, title)]
    return as_filter(created[0], created)


@api("read:filters")
def get_filter(request, id):
    return as_filter(_term(request.viewer, id))


@api("write:filters")
def update_filter(request, id):
    """Change a filter's keywords; the term itself goes when its own keyword is destroyed.

    Title, context, action and expiry are checked and not kept (see the module's note).
    """
    term = _term(request.viewer, id)
    _check_common(request.params)
    created = _apply_keywords(request.viewer, _keyword_attributes(request.params))
    current = KeywordFilter.objects.filter(pk=term.pk).first()
    shown = ([current] if current else []) + created
    # With its last keyword gone the term is gone; answer as Mastodon would (a filter with
    # no keywords), though reading it again finds nothing.
    return as_filter(shown[0] if shown else term, shown)


@api("write:filters")
def delete_filter(request, id):
    actions.remove_keyword_filter(request.viewer, _term(request.viewer, id).pk)
    return {}


@api("read:filters")
def filter_keywords(request, id):
    return [keyword(_term(request.viewer, id))]


@api("write:filters")
def add_filter_keyword(request, id):
    """A keyword added to a filter is a muted term of its own (and so a filter of its own)."""
    _term(request.viewer, id)
    phrase = request.params.text("keyword")
    return keyword(_add(request.viewer, phrase, request.params.get("whole_word")))


@api("read:filters")
def get_keyword(request, id):
    return keyword(_term(request.viewer, id))


@api("write:filters")
def update_keyword(request, id):
    term = _term(request.viewer, id)
    params = request.params
    phrase = params.text("keyword", term.phrase) or term.phrase
    whole_word = params.flag("whole_word", term.whole_word)
    if phrase == term.phrase and whole_word == term.whole_word:
        return keyword(term)
    actions.remove_keyword_filter(request.viewer, term.pk)
    return keyword(_add(request.viewer, phrase, whole_word))


@api("write:filters")
def delete_keyword(request, id):
    actions.remove_keyword_filter(request.viewer, _term(request.viewer, id).pk)
    return {}


@api("read:filters")
def filter_statuses(request, id):
    """Rostra filters words, not single posts: always none."""
    _term(request.viewer, id)
    return []


@api("read:filters")
def list_v1_filters(request):
    return [as_v1_filter(t) for t in _terms(request.viewer)]


@api("read:filters")
def get_v1_filter(request, id):
    return as_v1_filter(_term(request.viewer, id))


routes = [
    route(r"api/v2/filters", get=list_filters, post=create_filter),
    route(r"api/v2/filters/keywords/(?P<id>[^/]+)", get=get_keyword, put=update_keyword, delete=delete_keyword),
    route(r"api/v2/filter_keywords/(?P<id>[^/]+)", get=get_keyword, put=update_keyword, delete=delete_keyword),
    route(r"api/v2/filters/(?P<id>[^/]+)", get=get_filter, put=update_filter, delete=delete_filter),
    route(r"api/v2/filters/(?P<id>[^/]+)/keywords", get=filter_keywords, post=add_filter_keyword),
    route(r"api/v2/filters/(?P<id>[^/]+)/statuses", get=filter_statuses),
    route(r"api/v1/filters", get=list_v1_filters),
    route(r"api/v1/filters/(?P<id>[^/]+)", get=get_v1_filter),
]
