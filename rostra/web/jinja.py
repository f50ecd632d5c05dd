"""The Jinja2 environment of the web app: helpers every template can call."""

from datetime import datetime, timezone
from functools import lru_cache

from django.templatetags.static import static
from django.urls import reverse
from django.utils.http import urlencode
from jinja2 import Environment, pass_environment, select_autoescape
from markupsafe import Markup

from rostra.core.ids import id_time

STATIC_VERSION = "2"


def ago(value):
    """'5m', '3h', '2d' or a date: how long ago, the way feeds show it."""
    if value is None:
        return ""
    seconds = (datetime.now(timezone.utc) - value).total_seconds()
    if seconds < 60:
        return "now"
    if seconds < 3600:
        return f"{int(seconds // 60)}m"
    if seconds < 86400:
        return f"{int(seconds // 3600)}h"
    if seconds < 7 * 86400:
        return f"{int(seconds // 86400)}d"
    return value.strftime("%-d %b %Y")


def compact(number):
    """1234 -> '1.2K', like counters on social sites."""
    number = int(number or 0)
    if number < 1000:
        return str(number)
    if number < 1_000_000:
        return f"{number / 1000:.1f}".rstrip("0").rstrip(".") + "K"
    return f"{number / 1_000_000:.1f}".rstrip("0").rstrip(".") + "M"


def query(request, **changes):
    """The current query string with some parameters changed (None removes one)."""
    params = request.GET.copy()
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = value
    encoded = params.urlencode()
    return "?" + encoded if encoded else request.path


@lru_cache(maxsize=256)
def static_url(path):
    """``static()`` once per file and process: a page names five files, and the storage
    rebuilt each URL from settings every time (4% of a feed page). STATIC_URL and the files'
    names do not change while the process runs."""
    return static(path)


def environment(**options):
    options.setdefault("autoescape", select_autoescape(default=True, default_for_string=True))
    options.setdefault("trim_blocks", True)
    options.setdefault("lstrip_blocks", True)
    env = Environment(**options)
    from .fragments import post_card

    env.globals.update(
        {"card": pass_environment(post_card), "static": static_url, "url": reverse, "urlencode": urlencode, "query": query, "STATIC_VERSION": STATIC_VERSION}
    )
    env.filters.update({"ago": ago, "compact": compact, "safe_html": Markup, "id_time": id_time})
    return env
