"""Reading feeds: home, discover, hashtags, profiles, threads, notifications, search.

Every list is paged by cursor (``max_id``: the smallest ID on the previous page), never by
offset, so page 500 costs what page 1 costs. Every list goes through ``hydrate``, which
fetches authors, echoed posts, media and the viewer's own votes and bookmarks in a fixed
number of queries whatever the page size.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.core.cache import cache
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q
from django.utils import timezone

from rostra.accounts.models import Account
from rostra.core.html import clean_text
from rostra.core import rawrows
from rostra.core.ids import lowest_id_at
from rostra.core.rawrows import ModelColumns
from rostra.core.models import InstanceSettings
from rostra.posts import search
from rostra.posts.models import Bookmark, Hashtag, Media, Post, PostHashtag, PostState, Visibility, Vote
from rostra.accounts.models import Follow
from rostra.posts.queries import (
    audience_facts,
    blocked_ids,
    can_see,
    hidden_by_viewer,
    keyword_filters_exist,
    muted_ids,
    sees,
    visible_posts,
)

from .models import FeedEntry, Notification

PAGE_SIZE = 20
MAX_PAGE_SIZE = 80


@dataclass
class Page:
    """A page of posts and the cursor for the next one (None at the end)."""

    items: list
    next_max_id: int | None = None
    extra: dict = field(default_factory=dict)


def _limit(limit):
    try:
        limit = int(limit or PAGE_SIZE)
    except (TypeError, ValueError):
        limit = PAGE_SIZE
    return max(1, min(limit, MAX_PAGE_SIZE))


def _cursor(value):
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _window(column, max_id=None, since_id=None, min_id=None):
    """SQL conditions on ``column`` for Mastodon's three cursors, and whether to scan upwards.

    ``min_id`` asks for the posts just above it, so the scan runs oldest first from there and
    the caller turns the page back to newest first; ``max_id`` and ``since_id`` scan down.
    """
    where, params = [], []
    for value, op in ((_cursor(max_id), "<"), (_cursor(since_id), ">"), (_cursor(min_id), ">")):
        if value is not None:
            where.append(f"{column} {op} %s")
            params.append(value)
    return where, params, _cursor(min_id) is not None


def _window_q(field, max_id=None, since_id=None, min_id=None):
    """``_window`` for the ORM: (filter kwargs, order_by field, ascending)."""
    filters = {}
    if _cursor(max_id) is not None:
        filters[f"{field}__lt"] = _cursor(max_id)
    lower = max(v for v in (_cursor(since_id), _cursor(min_id), -1) if v is not None)
    if lower >= 0:
        filters[f"{field}__gt"] = lower
    ascending = _cursor(min_id) is not None
    return filters, (field if ascending else f"-{field}"), ascending


def hydrate(viewer, posts):
    """Attach what a page shows to each post, in a fixed number of queries.

    Sets on every post (and on the post it echoes): ``author`` (select_related),
    ``media_list``, ``viewer_voted``, ``viewer_bookmarked``, ``viewer_echoed``.
    """
    posts = list(posts)
    shown = {p.pk: p for p in posts}
    for p in posts:
        if p.echo_of_id and p.echo_of is not None:
            shown.setdefault(p.echo_of.pk, p.echo_of)
    ids = list(shown)
    media_by_post = {}
    with_media = [pk for pk, p in shown.items() if p.has_media]
    if with_media:
        for m in _media_rows(with_media):
            media_by_post.setdefault(m.post_id, []).append(m)
    voted, bookmarked, echoed = set(), set(), set()
    if viewer is not None and ids:
        voted, bookmarked, echoed = viewer_marks(viewer, ids)
    for pk, p in shown.items():
        p.media_list = media_by_post.get(pk, [])
        p.viewer_voted = pk in voted
        p.viewer_bookmarked = pk in bookmarked
        p.viewer_echoed = pk in echoed
    return posts


_MEDIA_LAYOUT = (ModelColumns(Media, "m"),)


def _media_rows(post_ids):
    """The images of these posts in their order, in hand-written SQL (every feed page asks)."""
    within, values = rawrows.among(post_ids)
    sql = (
        f"SELECT {_MEDIA_LAYOUT[0].sql()} FROM posts_media m"
        f" WHERE m.post_id {within} AND m.file != ''"
        # (A remote post's image has no file until it is copied here.)
        " ORDER BY m.position, m.id"
    )
    return [row[0] for row in rawrows.fetch(sql, values, _MEDIA_LAYOUT)]


def viewer_marks(viewer, ids):
    """(voted, bookmarked, echoed): which of these posts the viewer voted for, kept, echoed.

    One UNION query instead of three: on a feed page the query building costs more than
    the index lookups.
    """
    marks = {"v": set(), "b": set(), "e": set()}
    within, values = rawrows.among(ids)
    sql = (
        f"SELECT 'v', post_id FROM posts_vote WHERE account_id = %s AND post_id {within}"
        f" UNION ALL SELECT 'b', post_id FROM posts_bookmark WHERE account_id = %s AND post_id {within}"
        f" UNION ALL SELECT 'e', echo_of_id FROM posts_post WHERE author_id = %s AND text = ''"
        f" AND echo_of_id {within}"
    )
    with rawrows.cursor() as cursor:
        cursor.execute(sql, [viewer.pk, *values, viewer.pk, *values, viewer.pk, *values])
        for kind, post_id in cursor.fetchall():
            marks[kind].add(post_id)
    return marks["v"], marks["b"], marks["e"]


def _posts_by_ids(ids):
    posts = Post.objects.filter(pk__in=ids).select_related("author", "echo_of", "echo_of__author")
    by_id = {p.pk: p for p in posts}
    return [by_id[i] for i in ids if i in by_id]


def _still_visible(viewer, post):
    """Cheap in-memory re-check of a post already known to be in the viewer's feed."""
    if post.state != PostState.PUBLISHED and post.author_id != (viewer.pk if viewer else None):
        return False
    blocked = blocked_ids(viewer)
    if post.author_id in blocked:
        return False
    if post.echo_of_id:
        original = post.echo_of
        if original is None or original.state != PostState.PUBLISHED or original.author_id in blocked:
            return False
    return not hidden_by_viewer(viewer, post)


_FEED_LAYOUT = (
    ModelColumns(Post, "p"),
    ModelColumns(Account, "a"),
    ModelColumns(Post, "e"),
    ModelColumns(Account, "ea"),
)


def _feed_rows(account_id, max_id, limit, since_id=None, min_id=None):
    """Posts of a home feed, newest first, with authors and echoed posts, in one query.

    With ``min_id`` the rows come oldest first (the page just above ``min_id``).
    """
    post, author, echoed, echoed_author = _FEED_LAYOUT
    where, params, ascending = _window("f.post_id", max_id, since_id, min_id)
    sql = (
        f"SELECT {post.sql()}, {author.sql()}, {echoed.sql()}, {echoed_author.sql()}"
        " FROM timelines_feedentry f"
        " JOIN posts_post p ON p.id = f.post_id"
        " JOIN accounts_account a ON a.id = p.author_id"
        " LEFT JOIN posts_post e ON e.id = p.echo_of_id"
        " LEFT JOIN accounts_account ea ON ea.id = e.author_id"
        " WHERE f.account_id = %s" + "".join(f" AND {w}" for w in where) +
        f" ORDER BY f.post_id {'ASC' if ascending else 'DESC'} LIMIT %s"
    )
    return _linked(rawrows.fetch(sql, [account_id, *params, limit], _FEED_LAYOUT))


def _post_rows(where, params, order, limit):
    """Posts matching ``where`` (SQL over alias ``p``), with authors and echoed posts, one query."""
    post, author, echoed, echoed_author = _FEED_LAYOUT
    sql = (
        f"SELECT {post.sql()}, {author.sql()}, {echoed.sql()}, {echoed_author.sql()}"
        " FROM posts_post p"
        " JOIN accounts_account a ON a.id = p.author_id"
        " LEFT JOIN posts_post e ON e.id = p.echo_of_id"
        " LEFT JOIN accounts_account ea ON ea.id = e.author_id"
        f" WHERE {where} ORDER BY {order} LIMIT %s"
    )
    return _linked(rawrows.fetch(sql, [*params, limit], _FEED_LAYOUT))


def _linked(rows):
    posts = []
    for p, a, e, ea in rows:
        rawrows.relate(p, "author", a)
        if e is not None:
            rawrows.relate(e, "author", ea)
        rawrows.relate(p, "echo_of", e)
        posts.append(p)
    return posts


def home_feed(viewer, max_id=None, limit=PAGE_SIZE, since_id=None, min_id=None):
    """The viewer's home feed: people they follow, and themselves, newest first.

    ``since_id``/``min_id`` (the API's cursors) ask for newer posts: the newest ones above
    ``since_id``, or those just above ``min_id``; the page is newest first either way.
    """
    limit = _limit(limit)
    max_id = _cursor(max_id)
    # One row more than a page tells whether there is a next one; viewers who mute people or
    # terms get a margin so their pages are rarely short.
    scan = limit + (10 if muted_ids(viewer) or keyword_filters_exist(viewer) else 1)
    rows = _feed_rows(viewer.pk, max_id, scan, since_id, min_id)
    if _cursor(min_id) is not None:
        visible = [post for post in rows if _still_visible(viewer, post)][:limit]
        visible.reverse()
        return Page(hydrate(viewer, visible), visible[-1].pk if visible else None)
    ids = [post.pk for post in rows]
    visible = [post for post in rows if _still_visible(viewer, post)]
    posts = visible[:limit]
    if len(visible) > limit:
        next_max_id = posts[-1].pk
    elif len(ids) == scan:
        next_max_id = posts[-1].pk if len(posts) == limit else ids[-1]
    else:
        next_max_id = None
    return Page(hydrate(viewer, posts), next_max_id)


def _paged(viewer, queryset, max_id, limit, check_hidden=True, since_id=None, min_id=None):
    limit = _limit(limit)
    filters, order, ascending = _window_q("id", max_id, since_id, min_id)
    rows = list(
        queryset.filter(**filters).select_related("author", "echo_of", "echo_of__author").order_by(order)[: limit + 1]
    )
    more = len(rows) > limit
    rows = rows[:limit]
    if ascending:
        # The page just above min_id: older posts are where the reader came from.
        rows.reverse()
        more = bool(rows)
    next_max_id = rows[-1].pk if more and rows else None
    if check_hidden:
        rows = [p for p in rows if not hidden_by_viewer(viewer, p)]
    return Page(hydrate(viewer, rows), next_max_id)


# Top-level posts only. ``in_reply_to`` is emptied when the post answered is deleted, but
# ``thread_root_id`` stays, so a comment never turns into a top-level post in lists.
TOP_LEVEL = {"in_reply_to__isnull": True, "thread_root_id__isnull": True}


def _public_local(viewer):
    qs = Post.objects.filter(visibility=Visibility.PUBLIC, state=PostState.PUBLISHED, echo_of__isnull=True, **TOP_LEVEL)
    excluded = blocked_ids(viewer) | muted_ids(viewer)
    if excluded:
        qs = qs.exclude(author_id__in=excluded)
    return qs


def discover(viewer, max_id=None, limit=PAGE_SIZE, sort="new"):
    """Public posts of this instance: newest first, or the most popular of a recent window."""
    if sort == "popular":
        return popular(viewer, page=max_id, limit=limit)
    qs = _public_local(viewer).filter(author__domain__isnull=True)
    return _paged(viewer, qs, max_id, limit)


def public_timeline(viewer, *, local=False, remote=False, only_media=False, max_id=None, since_id=None, min_id=None, limit=PAGE_SIZE):
    """The API's public timeline: top-level public posts, of this instance, others, or both."""
    qs = _public_local(viewer)
    if local:
        qs = qs.filter(author__domain__isnull=True)
    elif remote:
        qs = qs.filter(author__domain__isnull=False)
    if only_media:
        qs = qs.filter(has_media=True)
    return _paged(viewer, qs, max_id, limit, since_id=since_id, min_id=min_id)


def popular(viewer, page=None, limit=PAGE_SIZE):
    """Public posts of the last ``popular_window_hours`` ranked by votes, echoes and comments.

    The ranking is computed once a minute for everyone; blocks and mutes are applied per viewer.
    """
    limit = _limit(limit)
    page = _cursor(page) or 0
    hours = InstanceSettings.current().popular_window_hours
    key = f"popular:v1:{hours}"
    ranked = cache.get(key)
    if ranked is None:
        since = lowest_id_at(timezone.now() - timedelta(hours=hours))
        ranked = list(
            Post.objects.filter(
                id__gte=since,
                visibility=Visibility.PUBLIC,
                state=PostState.PUBLISHED,
                echo_of__isnull=True,
                author__domain__isnull=True,
                **TOP_LEVEL,
            )
            .annotate(score=F("votes_count") + 2 * F("echoes_count") + F("replies_count"))
            .filter(score__gt=0)
            .order_by("-score", "-id")
            .values_list("id", flat=True)[:400]
        )
        cache.set(key, ranked, 60)
    excluded = blocked_ids(viewer) | muted_ids(viewer)
    window = ranked[page * limit : (page + 1) * limit]
    posts = [p for p in _posts_by_ids(window) if p.author_id not in excluded and not hidden_by_viewer(viewer, p)]
    posts = [p for p in posts if p.state == PostState.PUBLISHED]
    next_page = page + 1 if len(ranked) > (page + 1) * limit else None
    return Page(hydrate(viewer, posts), next_page)


def hashtag_feed(viewer, name, max_id=None, limit=PAGE_SIZE, *, since_id=None, min_id=None, any_of=(), all_of=(), none_of=(), local=False, remote=False, only_media=False):
    """Public posts with a hashtag, newest first.

    The API's options: ``any_of`` (other tags that count too), ``all_of`` (tags a post must
    also have), ``none_of`` (tags it must not have), and where its author lives.
    """
    limit = _limit(limit)
    # The name comes from a URL: cleaned, since PostgreSQL refuses a NUL in a query.
    names = [n for n in (clean_text(str(t)).lower().lstrip("#") for t in [name, *any_of][:10]) if n]
    tags = list(Hashtag.objects.filter(name__in=names)) if names else []
    tag = next((t for t in tags if t.name == names[0]), None) if names else None
    if not tags:
        return Page([], None)
    uses = PostHashtag.objects.filter(hashtag__in=tags, public=True)
    excluded = blocked_ids(viewer) | muted_ids(viewer)
    if excluded:
        uses = uses.exclude(author_id__in=excluded)
    for other in all_of[:10]:
        uses = uses.filter(Exists(PostHashtag.objects.filter(post_id=OuterRef("post_id"), hashtag__name=clean_text(str(other)).lower().lstrip("#"))))
    for other in none_of[:10]:
        uses = uses.exclude(Exists(PostHashtag.objects.filter(post_id=OuterRef("post_id"), hashtag__name=clean_text(str(other)).lower().lstrip("#"))))
    if local:
        uses = uses.filter(post__author__domain__isnull=True)
    elif remote:
        uses = uses.filter(post__author__domain__isnull=False)
    if only_media:
        uses = uses.filter(post__has_media=True)
    filters, order, ascending = _window_q("post_id", max_id, since_id, min_id)
    ids = list(uses.filter(**filters).order_by(order).values_list("post_id", flat=True).distinct()[: limit + 1])
    more = len(ids) > limit
    ids = ids[:limit]
    if ascending:
        ids.reverse()
        more = bool(ids)
    posts = [p for p in _posts_by_ids(ids) if p.state == PostState.PUBLISHED and not hidden_by_viewer(viewer, p)]
    return Page(hydrate(viewer, posts), ids[-1] if more and ids else None, {"hashtag": tag})


def trending_hashtags(hours=24, limit=10):
    """Hashtags used by the most different people in the last ``hours``; cached a few minutes
    (``ROSTRA_TRENDS_CACHE_SECONDS``), since every page shows them."""
    from django.conf import settings

    key = f"trending:v1:{hours}:{limit}"
    seconds = settings.ROSTRA_TRENDS_CACHE_SECONDS
    result = cache.get(key) if seconds else None
    if result is None:
        since = lowest_id_at(timezone.now() - timedelta(hours=hours))
        result = list(
            PostHashtag.objects.filter(post_id__gte=since, public=True)
            .values("hashtag__name")
            .annotate(people=Count("author_id", distinct=True), uses=Count("id"))
            .order_by("-people", "-uses", "hashtag__name")[:limit]
        )
        result = [{"name": r["hashtag__name"], "people": r["people"], "uses": r["uses"]} for r in result]
        if seconds:
            cache.set(key, result, seconds)
    return result


def profile_posts(
    viewer,
    account,
    tab="posts",
    max_id=None,
    limit=PAGE_SIZE,
    *,
    since_id=None,
    min_id=None,
    exclude_reblogs=False,
    tagged=None,
):
    """An account's posts as ``viewer`` may see them: posts (with echoes), replies, or media.

    Which visibilities a viewer may see of one author depends only on whether they follow
    them (and on mentions), so the filter is written out in SQL rather than built per post.
    ``tab="all"`` is every post, comments included; ``exclude_reblogs`` leaves out plain
    echoes and ``tagged`` keeps posts with that hashtag (the API's options).
    """
    if viewer is not None and account.pk in blocked_ids(viewer):
        return Page([], None)
    limit = _limit(limit)
    where, params = ["p.author_id = %s"], [account.pk]
    if viewer is None or viewer.pk != account.pk:
        allowed = [Visibility.PUBLIC, Visibility.UNLISTED]
        if viewer is not None and Follow.objects.filter(follower=viewer, target=account).exists():
            allowed.append(Visibility.FOLLOWERS)
        where.append("p.state = %s")
        params.append(PostState.PUBLISHED)
        audience = f"p.visibility IN ({', '.join(['%s'] * len(allowed))})"
        params.extend(allowed)
        if viewer is not None:
            audience += " OR EXISTS (SELECT 1 FROM posts_mention m WHERE m.post_id = p.id AND m.account_id = %s)"
            params.append(viewer.pk)
        where.append(f"({audience})")
    if tab == "posts":
        where.append("p.in_reply_to_id IS NULL AND p.thread_root_id IS NULL")
    elif tab == "media":
        where.append("p.has_media = %s")
        params.append(True)
    if exclude_reblogs:
        where.append("NOT (p.echo_of_id IS NOT NULL AND p.text = '')")
    if tagged:
        where.append(
            "EXISTS (SELECT 1 FROM posts_posthashtag ph JOIN posts_hashtag h ON h.id = ph.hashtag_id"
            " WHERE ph.post_id = p.id AND h.name = %s)"
        )
        params.append(clean_text(str(tagged)).lower().lstrip("#"))
    window, window_params, ascending = _window("p.id", max_id, since_id, min_id)
    where.extend(window)
    params.extend(window_params)
    rows = _post_rows(" AND ".join(where), params, "p.id ASC" if ascending else "p.id DESC", limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    if ascending:
        rows.reverse()
        more = bool(rows)
    next_max_id = rows[-1].pk if more and rows else None
    following, mentioned = audience_facts(viewer, [p.echo_of for p in rows if p.echo_of_id and p.echo_of])
    rows = [p for p in rows if not p.echo_of_id or (p.echo_of and sees(viewer, p.echo_of, following, mentioned))]
    return Page(hydrate(viewer, rows), next_max_id)


MAX_THREAD_POSTS = 500


def thread(viewer, post):
    """A post with the chain of posts it answers and every visible comment below it.

    Returns (ancestors, post, descendants); descendants carry ``depth`` for indentation and
    come in conversation order (each comment followed by its own comments). The whole
    conversation shares one root, so it is read in one query and checked in memory.
    """
    root_id = post.thread_root_id or post.pk
    family = _post_rows("(p.id = %s OR p.thread_root_id = %s)", [root_id, root_id], "p.id", MAX_THREAD_POSTS)
    by_id = {p.pk: p for p in family}
    by_id[post.pk] = post
    following, mentioned = audience_facts(viewer, list(by_id.values()))

    def shown(p):
        return sees(viewer, p, following, mentioned) and not hidden_by_viewer(viewer, p)

    ancestors = []
    seen = {post.pk}
    parent_id = post.in_reply_to_id
    while parent_id and len(ancestors) < 50 and parent_id not in seen:
        parent = by_id.get(parent_id)
        if parent is None:
            break
        seen.add(parent.pk)
        if shown(parent):
            ancestors.append(parent)
        parent_id = parent.in_reply_to_id
    ancestors.reverse()
    children = {}
    for c in family:
        if c.pk != post.pk and c.in_reply_to_id and shown(c):
            children.setdefault(c.in_reply_to_id, []).append(c)
    descendants = []
    stack = [(c, 1) for c in reversed(children.get(post.pk, []))]
    while stack:
        node, depth = stack.pop()
        node.depth = depth
        descendants.append(node)
        stack.extend((c, depth + 1) for c in reversed(children.get(node.pk, [])))
    hydrate(viewer, ancestors + [post] + descendants)
    return ancestors, post, descendants


def notifications(viewer, max_id=None, limit=PAGE_SIZE):
    limit = _limit(limit)
    max_id = _cursor(max_id)
    qs = Notification.objects.filter(recipient=viewer).select_related("actor", "post", "post__author")
    if max_id is not None:
        qs = qs.filter(pk__lt=max_id)
    rows = list(qs.order_by("-id")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    blocked = blocked_ids(viewer)
    rows = [n for n in rows if n.actor_id not in blocked and (n.post is None or can_see(viewer, n.post))]
    return Page(rows, rows[-1].pk if more and rows else None)


def unread_notifications(viewer, cap=99):
    """How many notifications arrived since the viewer last looked, up to ``cap`` (shown as 99+).

    Counts what the notifications list shows (``accounts.backends.UNREAD_SHOWN``), as the
    count loaded with the signed-in viewer does.
    """
    from rostra.accounts.backends import UNREAD_SHOWN

    with rawrows.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FROM (SELECT 1 FROM timelines_notification n"
            " JOIN accounts_account a ON a.id = n.recipient_id"
            f" WHERE n.recipient_id = %s AND n.id > %s AND {UNREAD_SHOWN} LIMIT %s) AS c",
            [viewer.pk, viewer.notifications_seen_id, cap + 1],
        )
        return cursor.fetchone()[0]


def mark_notifications_read(viewer):
    latest = Notification.objects.filter(recipient=viewer).order_by("-id").values_list("pk", flat=True).first()
    if latest and latest > viewer.notifications_seen_id:
        Account.objects.filter(pk=viewer.pk).update(notifications_seen_id=latest)
        viewer.notifications_seen_id = latest


def bookmarks(viewer, max_id=None, limit=PAGE_SIZE, since_id=None, min_id=None):
    """The viewer's bookmarks, newest first, paged by the bookmark's ID (not the post's).

    ``extra["cursors"]`` holds the first and last bookmark IDs of the page, for the API's links.
    """
    limit = _limit(limit)
    filters, order, ascending = _window_q("id", max_id, since_id, min_id)
    marks = list(Bookmark.objects.filter(account=viewer, **filters).order_by(order).values_list("pk", "post_id")[: limit + 1])
    return _marked_posts(viewer, marks, limit, ascending)


def favourites(viewer, max_id=None, limit=PAGE_SIZE, since_id=None, min_id=None):
    """Posts the viewer voted for, newest vote first, paged by the vote's ID."""
    limit = _limit(limit)
    filters, order, ascending = _window_q("id", max_id, since_id, min_id)
    marks = list(Vote.objects.filter(account=viewer, **filters).order_by(order).values_list("pk", "post_id")[: limit + 1])
    return _marked_posts(viewer, marks, limit, ascending)


def _marked_posts(viewer, marks, limit, ascending):
    """A page of (mark id, post id) pairs as posts the viewer may still see."""
    more = len(marks) > limit
    marks = marks[:limit]
    if ascending:
        marks.reverse()
        more = bool(marks)
    posts = [p for p in _posts_by_ids([pid for _, pid in marks]) if can_see(viewer, p)]
    cursors = (marks[0][0], marks[-1][0]) if marks else (None, None)
    return Page(hydrate(viewer, posts), marks[-1][0] if more and marks else None, {"cursors": cursors})


def search_posts(viewer, query, max_id=None, limit=PAGE_SIZE):
    """Posts whose text has every word of ``query``, that the viewer may see, newest first."""
    qs = search.match_posts(visible_posts(viewer).filter(state=PostState.PUBLISHED), query)
    if viewer is None:
        qs = qs.filter(visibility=Visibility.PUBLIC)
    else:
        qs = qs.exclude(~Q(author=viewer) & Q(visibility=Visibility.UNLISTED))
    return _paged(viewer, qs, max_id, limit)


def search_accounts(viewer, query, limit=10):
    # Cleaned like any typed text: on SQLite a NUL ended the LIKE pattern and matched
    # everyone, PostgreSQL refused it outright, and a lone surrogate could not be encoded.
    query = clean_text(query).strip().lstrip("@")
    if not query:
        return []
    username, _, domain = query.partition("@")
    qs = Account.objects.all()
    blocked = blocked_ids(viewer)
    if blocked:
        qs = qs.exclude(pk__in=blocked)
    if domain:
        qs = qs.filter(username__iexact=username, domain__iexact=domain)
    else:
        qs = qs.filter(Q(username__istartswith=query) | Q(display_name__icontains=query))
    return list(qs.order_by("-followers_count", "username")[:limit])


def search_hashtags(query, limit=10):
    """Hashtags starting with ``query`` that some public post uses now.

    A tag row outlives the posts that used it and is made for private posts too; listing
    those would tell anyone what a direct message or a deleted post was about.
    """
    query = clean_text(query).strip().lstrip("#").lower()
    if not query:
        return []
    public_use = PostHashtag.objects.filter(hashtag=OuterRef("pk"), public=True)
    return list(Hashtag.objects.filter(Exists(public_use), name__startswith=query).order_by("name")[:limit])
