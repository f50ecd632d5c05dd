"""Timelines: home, public, hashtag, an account's statuses, bookmarks and favourites.

Each is a ``timelines.queries`` reader paged by Mastodon's cursors (``max_id``, ``since_id``,
``min_id``, ``limit``) and answered with its ``Link`` header. The home timeline is the one
apps poll most: its page costs the same few queries whatever its length (token, feed rows,
the viewer's blocks and mutes, media, the viewer's marks, mentions).
"""

from rostra.accounts.models import Account
from rostra.timelines import queries

from ..http import api, not_found, parse_id, route
from ..pagination import PageParams
from .statuses import encode_statuses, page_reply


def _paging(request):
    return PageParams(request.params, default=20, maximum=40)


def _answer(request, page):
    return page_reply(request, page, encode_statuses(request.viewer, page.items))


def _window(paging):
    return {"max_id": paging.max_id, "since_id": paging.since_id, "min_id": paging.min_id, "limit": paging.limit}


@api("read:statuses")
def home(request):
    page = queries.home_feed(request.viewer, **_window(_paging(request)))
    return _answer(request, page)


@api("read:statuses", user="optional")
def public(request):
    params = request.params
    page = queries.public_timeline(
        request.viewer,
        local=params.flag("local"),
        remote=params.flag("remote"),
        only_media=params.flag("only_media"),
        **_window(_paging(request)),
    )
    return _answer(request, page)


def _tags(params, key):
    """Tag names from ``any[]``, ``all[]`` or ``none[]``; anything but a plain name is ignored."""
    return [str(t) for t in params.getlist(key) if isinstance(t, (str, int)) and "\x00" not in str(t)][:10]


@api("read:statuses", user="optional")
def tag(request, hashtag):
    params = request.params
    if "\x00" in hashtag:
        raise not_found()
    page = queries.hashtag_feed(
        request.viewer,
        hashtag,
        any_of=_tags(params, "any"),
        all_of=_tags(params, "all"),
        none_of=_tags(params, "none"),
        local=params.flag("local"),
        remote=params.flag("remote"),
        only_media=params.flag("only_media"),
        **_window(_paging(request)),
    )
    return _answer(request, page)


@api("read:statuses", user="optional")
def account_statuses(request, id):
    """An account's statuses. Rostra has no pinning, so ``pinned=true`` is always empty."""
    params = request.params
    target = Account.objects.filter(pk=parse_id(id)).first()
    if target is None or target.is_suspended:
        raise not_found()
    if params.flag("pinned"):
        return []
    if params.flag("only_media"):
        tab = "media"
    elif params.flag("exclude_replies"):
        tab = "posts"
    else:
        tab = "all"
    tagged = params.text("tagged") or None
    page = queries.profile_posts(
        request.viewer,
        target,
        tab,
        exclude_reblogs=params.flag("exclude_reblogs"),
        tagged=tagged,
        **_window(_paging(request)),
    )
    return _answer(request, page)


@api("read:bookmarks")
def bookmarks(request):
    return _answer(request, queries.bookmarks(request.viewer, **_window(_paging(request))))


@api("read:favourites")
def favourites(request):
    return _answer(request, queries.favourites(request.viewer, **_window(_paging(request))))


routes = [
    route(r"api/v1/timelines/home", get=home),
    route(r"api/v1/timelines/public", get=public),
    route(r"api/v1/timelines/tag/(?P<hashtag>[^/]+)", get=tag),
    route(r"api/v1/accounts/(?P<id>[^/]+)/statuses", get=account_statuses),
    route(r"api/v1/bookmarks", get=bookmarks),
    route(r"api/v1/favourites", get=favourites),
]
