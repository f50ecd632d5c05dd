"""Mastodon's paging: ``max_id`` / ``since_id`` / ``min_id`` / ``limit`` in, a ``Link`` header out.

``max_id``: older than this (the next page down). ``since_id``: newer than this, newest first
(the top of the list). ``min_id``: just newer than this, in order (the page above, without a
gap). Lists always come back newest first. The Link header carries ``rel="next"`` (older,
``max_id`` = the last item's cursor) and ``rel="prev"`` (newer, ``min_id`` = the first item's).
"""

from urllib.parse import urlencode

from .http import ApiError
from .serializers import base_url


class PageParams:
    """The paging parameters of a request, parsed once and checked."""

    def __init__(self, params, default=20, maximum=40):
        self.max_id = _cursor(params.get("max_id"), "max_id")
        self.since_id = _cursor(params.get("since_id"), "since_id")
        self.min_id = _cursor(params.get("min_id"), "min_id")
        self.limit = params.number("limit", default, minimum=1, maximum=maximum)


def _cursor(value, name):
    if value in (None, ""):
        return None
    value = str(value)
    if not value.isdigit() or len(value) > 19:
        raise ApiError(422, f"Validation failed: {name} must be an ID")
    return int(value)


def link_header(request, first_cursor, last_cursor, has_more=True):
    """The ``Link`` header for a page whose items run from ``first_cursor`` to ``last_cursor``."""
    if first_cursor is None or last_cursor is None:
        return {}
    keep = {k: v for k, v in request.GET.lists() if k not in ("max_id", "since_id", "min_id", "access_token")}
    base = f"{base_url()}{request.path}"

    def url(**cursor):
        pairs = [(k, v) for k, values in keep.items() for v in values] + list(cursor.items())
        return f"{base}?{urlencode(pairs)}"

    links = []
    if has_more:
        links.append(f'<{url(max_id=last_cursor)}>; rel="next"')
    links.append(f'<{url(min_id=first_cursor)}>; rel="prev"')
    return {"Link": ", ".join(links)}
