"""Search (v2), trending hashtags and hashtag details.

As on Mastodon, anyone may search accounts and hashtags, but statuses only come back to a
signed-in person, and paging by ``offset`` needs a token too (so the directory cannot be
walked anonymously). ``resolve=true`` from someone signed in looks a handle (``user@server``)
or a URL up on its server (WebFinger, ActivityPub) and stores what it finds, as Mastodon does;
anonymous callers get only what is already here.
"""

import re
from datetime import datetime, time, timedelta, timezone as dt_timezone

from django.db.models import Count, Exists, OuterRef, Q

from rostra.accounts.models import Follow
from rostra.core.html import MAX_HASHTAG_LENGTH
from rostra.core.ids import lowest_id_at
from rostra.posts import search as post_search
from rostra.posts.models import Hashtag, PostHashtag, PostState, Visibility
from rostra.posts.queries import hidden_by_viewer, visible_posts
from rostra.timelines import queries
from rostra.timelines.lists import scan

from ..http import ApiError, api, not_found, route
from ..pagination import PageParams
from ..serializers import account, base_url, statuses_for

TYPES = ("accounts", "statuses", "hashtags")
HISTORY_DAYS = 7
# A hashtag as the text parser finds one (``core.html.HASHTAG_RE``), with or without its #.
_TAG_NAME = re.compile(r"#?\w*[^\W\d_]\w*")


def _midnight():
    return datetime.combine(datetime.now(dt_timezone.utc).date(), time(), tzinfo=dt_timezone.utc)


def histories(tag_ids):
    """{hashtag id: Mastodon's history, today first, seven days}; one query for all the tags.

    Counts public uses only, like the hashtag pages, so a followers-only post's tag leaks
    nothing. A day's bounds are IDs, since post IDs carry their time.
    """
    today = _midnight()
    days = [today - timedelta(days=i) for i in range(HISTORY_DAYS)]
    counts = {}
    if tag_ids:
        aggregates = {}
        for i, start in enumerate(days):
            during = Q(post_id__gte=lowest_id_at(start), post_id__lt=lowest_id_at(start + timedelta(days=1)))
            aggregates[f"u{i}"] = Count("id", filter=during)
            aggregates[f"a{i}"] = Count("author_id", filter=during, distinct=True)
        rows = (
            PostHashtag.objects.filter(hashtag_id__in=tag_ids, public=True, post_id__gte=lowest_id_at(days[-1]))
            .values("hashtag_id")
            .annotate(**aggregates)
        )
        counts = {row["hashtag_id"]: row for row in rows}
    result = {}
    for tag_id in tag_ids:
        row = counts.get(tag_id, {})
        result[tag_id] = [
            {"day": str(int(start.timestamp())), "uses": str(row.get(f"u{i}", 0)), "accounts": str(row.get(f"a{i}", 0))}
            for i, start in enumerate(days)
        ]
    return result


def tags(hashtags):
    """Mastodon Tags (with seven days of history) for Hashtag rows."""
    history = histories([h.pk for h in hashtags])
    return [
        {
            "id": str(h.pk),
            "name": h.name,
            "url": f"{base_url()}/tags/{h.name}",
            "history": history[h.pk],
            "following": False,
            "featuring": False,
        }
        for h in hashtags
    ]


def _accounts(request, q, limit, offset):
    viewer = request.viewer
    following = request.params.flag("following") and viewer is not None
    wanted = offset + limit
    found = queries.search_accounts(viewer, q, limit=wanted if not following else max(wanted * 5, 200))
    if following:
        ids = set(
            Follow.objects.filter(follower=viewer, target_id__in=[a.pk for a in found]).values_list("target_id", flat=True)
        )
        found = [a for a in found if a.pk in ids]
    return [account(a) for a in found[offset:wanted]]


def _statuses(request, q, page):
    """Posts with every word of ``q`` that the viewer may see, newest first.

    The same rules as ``timelines.queries.search_posts`` (its building blocks, in fact), plus
    what the API adds: ``account_id`` and Mastodon's three cursors.
    """
    viewer = request.viewer
    if viewer is None:
        return []
    qs = post_search.match_posts(visible_posts(viewer).filter(state=PostState.PUBLISHED), q)
    qs = qs.exclude(~Q(author=viewer) & Q(visibility=Visibility.UNLISTED))
    if request.params.get("account_id") not in (None, ""):
        qs = qs.filter(author_id=request.params.id("account_id"))
    qs = qs.select_related("author", "echo_of", "echo_of__author")
    window = scan(
        qs, page.max_id, page.since_id, page.min_id, page.limit,
        keep=lambda rows: [p for p in rows if not hidden_by_viewer(viewer, p)],
    )
    return statuses_for(viewer, window.items)


def _resolve(q):
    """An account or post elsewhere named by a handle or a URL, looked up and stored; or None."""
    from django.conf import settings

    from rostra.federation import resolve

    if not settings.ROSTRA_FEDERATION:
        return None
    try:
        if q.startswith(("https://", "http://")):
            return resolve.url(q)
        if resolve.HANDLE.match(q):
            return resolve.handle(q.lstrip("@"))
    except resolve.NotResolved as exc:
        import logging

        logging.getLogger(__name__).info("Search could not resolve %r: %s", q[:200], exc)
        return None
    return None


@api("read:search", user="optional")
def search_v2(request):
    params = request.params
    q = params.text("q").strip()
    kind = params.text("type")
    if kind and kind not in TYPES:
        raise ApiError(422, "Validation failed: type must be one of accounts, statuses, hashtags")
    page = PageParams(params, default=20, maximum=40)
    offset = params.number("offset", 0, minimum=0, maximum=10_000)
    if offset and request.viewer is None:
        raise ApiError(401, "Search queries with offset are not supported without authentication")
    result = {"accounts": [], "statuses": [], "hashtags": []}
    if not q:
        return result
    if params.flag("resolve") and request.viewer is not None and not offset:
        found = _resolve(q)
        if found is not None and kind in ("", "accounts") and hasattr(found, "username"):
            result["accounts"] = [account(found)]
            return result
        if found is not None and kind in ("", "statuses") and hasattr(found, "author_id"):
            from rostra.posts.queries import can_see

            if can_see(request.viewer, found):
                result["statuses"] = statuses_for(request.viewer, [found])
            return result
    if kind in ("", "accounts"):
        result["accounts"] = _accounts(request, q, page.limit, offset)
    if kind in ("", "hashtags"):
        found = queries.search_hashtags(q, limit=offset + page.limit)[offset:]
        result["hashtags"] = tags(found)
    if kind in ("", "statuses") and not offset:
        result["statuses"] = _statuses(request, q, page)
    return result


@api(None, user="optional")
def trends_tags(request):
    """Hashtags used by the most different people in the last day, with their week."""
    limit = request.params.number("limit", 10, minimum=1, maximum=20)
    offset = request.params.number("offset", 0, minimum=0, maximum=100)
    ranked = [t["name"] for t in queries.trending_hashtags(limit=offset + limit)][offset:]
    by_name = {h.name: h for h in Hashtag.objects.filter(name__in=ranked)}
    return tags([by_name[name] for name in ranked if name in by_name])


@api(None, user="optional")
def tag(request, name):
    """A hashtag by name; only one some public post uses exists here (as in hashtag search)."""
    name = name.strip()
    if len(name) > MAX_HASHTAG_LENGTH + 1 or not _TAG_NAME.fullmatch(name):
        raise not_found()
    public_use = PostHashtag.objects.filter(hashtag=OuterRef("pk"), public=True)
    found = Hashtag.objects.filter(Exists(public_use), name=name.lstrip("#").lower()).first()
    if found is None:
        raise not_found()
    return tags([found])[0]


routes = [
    route(r"api/v2/search", get=search_v2),
    route(r"api/v1/trends", get=trends_tags),
    route(r"api/v1/trends/tags", get=trends_tags),
    route(r"api/v1/tags/(?P<name>[^/]+)", get=tag),
]
