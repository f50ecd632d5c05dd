"""Statuses: writing, reading, editing and deleting posts, and voting, echoing, bookmarking.

Every post goes through ``posts.actions.create_post``, which screens it, so moderation shows
here as it does on the web: a held post is answered to its author (with ``rostra.state``) and
to nobody else (404); a rejected one is answered 422 with the statement of reasons.

Pages of statuses are rendered by ``render_statuses`` in a fixed number of queries: the
posts come hydrated (``timelines.queries.hydrate``) and the mentions of the whole page are
read in one more query.
"""

import hashlib

from django.core.cache import cache

from rostra.accounts.models import Account
from rostra.core import rawrows
from rostra.core.html import render_text
from rostra.core.models import InstanceSettings
from rostra.posts import actions
from rostra.posts.models import Media, Mention, Post, PostState, Visibility, Vote
from rostra.posts.queries import audience_facts, blocked_ids, can_see, sees
from rostra.timelines import queries

from ..http import ApiError, Reply, api, not_found, parse_id, route
from ..pagination import PageParams, link_header
from ..serializers import (
    VISIBILITY_FROM_API,
    StatusContext,
    absolute_html,
    account,
    base_url,
    encoded_statuses,
    media,
    status,
    timestamp,
)

IDEMPOTENCY_SECONDS = 3600
MAX_IDS = 40


# --- rendering ----------------------------------------------------------------------------


def _mentions_by_post(posts):
    """The accounts each post mentions, for a whole page in one query (none when none can).

    A post mentions someone only when its text has an ``@`` or it answers someone, so a page
    without either skips the query.
    """
    ids = [p.pk for p in posts if "@" in p.text or p.in_reply_to_id]
    if not ids:
        return {}
    by_post, ids = rawrows.among(ids)
    sql = (
        "SELECT m.post_id, a.id, a.username, a.domain, a.uri FROM posts_mention m"
        " JOIN accounts_account a ON a.id = m.account_id"
        f" WHERE m.post_id {by_post} ORDER BY m.id"
    )
    found = {}
    with rawrows.cursor() as cursor:
        cursor.execute(sql, ids)
        for post_id, pk, username, domain, uri in cursor.fetchall():
            found.setdefault(post_id, []).append(_Mentioned(pk, username, domain, uri or ""))
    return found


class _Mentioned:
    """The four facts a Mention needs, without building a whole Account per row."""

    __slots__ = ("pk", "username", "domain", "uri")

    def __init__(self, pk, username, domain, uri):
        self.pk, self.username, self.domain, self.uri = pk, username, domain, uri

    is_local = property(lambda self: self.domain is None)
    url = Account.url


def hydrate_for_api(viewer, posts):
    """The StatusContext for posts already hydrated by ``timelines.queries.hydrate``."""
    shown = list(posts) + [p.echo_of for p in posts if p.echo_of_id and p.echo_of is not None]
    return StatusContext(viewer, _mentions_by_post(shown))


def render_statuses(viewer, posts):
    """Mastodon Statuses for hydrated posts, in order."""
    ctx = hydrate_for_api(viewer, posts)
    return [status(p, ctx) for p in posts]


def encode_statuses(viewer, posts):
    """The same Statuses, already encoded (``serializers.encoded_statuses``): for timelines,
    whose pages repeat what earlier pages sent."""
    return encoded_statuses(posts, hydrate_for_api(viewer, posts))


def render_one(viewer, post):
    """One post as a Status, hydrated here."""
    queries.hydrate(viewer, [post])
    return render_statuses(viewer, [post])[0]


def page_reply(request, page, statuses):
    """A list of statuses with Mastodon's Link header.

    The links' cursors are the page's own posts, except where the list pages by something
    else (bookmarks and favourites by the mark's ID, in ``extra["cursors"]``) and where the
    feed skipped hidden rows past the last post (``next_max_id`` then goes on from there).
    """
    cursors = page.extra.get("cursors")
    if cursors is None:
        cursors = (page.items[0].pk, page.items[-1].pk) if page.items else (None, None)
    first, last = cursors
    if page.next_max_id is not None and last is not None:
        last = min(last, page.next_max_id)
    return Reply(statuses, headers=link_header(request, first, last, has_more=page.next_max_id is not None))


# --- loading ------------------------------------------------------------------------------


def _fetch(post_id):
    return Post.objects.filter(pk=post_id).select_related("author", "echo_of", "echo_of__author").first()


def visible_post(viewer, raw_id):
    """The post with this ID if the viewer may see it; a 404 that says no more otherwise."""
    post = _fetch(parse_id(raw_id))
    if post is None or not can_see(viewer, post):
        raise not_found()
    return post


def own_post(viewer, raw_id):
    """A post of the viewer's own; someone else's is not found, as Mastodon answers edits,
    deletions and sources (it looks the ID up among the caller's own statuses)."""
    post = visible_post(viewer, raw_id)
    if post.author_id != viewer.pk:
        raise not_found()
    return post


def _reloaded(viewer, post):
    """The post again, as the database has it now (counters move in SQL), as a Status."""
    fresh = _fetch(post.pk)
    if fresh is None:
        raise not_found()
    return render_one(viewer, fresh)


# --- reading ------------------------------------------------------------------------------


@api("read:statuses", user="optional")
def show(request, id):
    return render_one(request.viewer, visible_post(request.viewer, id))


@api("read:statuses", user="optional")
def show_many(request):
    """``GET /api/v1/statuses?id[]=1&id[]=2``: those the viewer may see, in the order asked."""
    wanted = []
    for raw in request.params.getlist("id")[:MAX_IDS]:
        raw = str(raw)
        if raw.isdigit() and len(raw) <= 19 and int(raw) not in wanted:
            wanted.append(int(raw))
    if not wanted:
        return []
    by_id = {p.pk: p for p in Post.objects.filter(pk__in=wanted).select_related("author", "echo_of", "echo_of__author")}
    posts = [by_id[i] for i in wanted if i in by_id]
    viewer = request.viewer
    checked = posts + [p.echo_of for p in posts if p.echo_of_id and p.echo_of is not None]
    following, mentioned = audience_facts(viewer, checked)

    def shown(p):
        if p.echo_of_id and (p.echo_of is None or not sees(viewer, p.echo_of, following, mentioned)):
            return False
        return sees(viewer, p, following, mentioned)

    posts = [p for p in posts if shown(p)]
    return render_statuses(viewer, queries.hydrate(viewer, posts))


@api("read:statuses", user="optional")
def context(request, id):
    """Ancestors and descendants the viewer may see, oldest first (Mastodon's order)."""
    viewer = request.viewer
    post = visible_post(viewer, id)
    if post.is_plain_echo:
        post = post.echo_of
    ancestors, post, descendants = queries.thread(viewer, post)
    ctx = hydrate_for_api(viewer, ancestors + descendants)
    return {"ancestors": [status(p, ctx) for p in ancestors], "descendants": [status(p, ctx) for p in descendants]}


@api("read:statuses", user="optional")
def history(request, id):
    """Every version of a post, oldest first, the current one last (Mastodon's StatusEdit)."""
    viewer = request.viewer
    post = visible_post(viewer, id)
    queries.hydrate(viewer, [post])
    who = account(post.author)
    attachments = [media(m) for m in post.media_list]
    links = {
        (m.account.username, m.account.domain): m.account.url
        for m in Mention.objects.filter(post=post).select_related("account")
    }

    def version(text, spoiler_text, sensitive, created_at, html=None):
        return {
            "content": absolute_html(html if html is not None else render_text(text, links)),
            "spoiler_text": spoiler_text,
            "sensitive": bool(sensitive or spoiler_text),
            "created_at": timestamp(created_at),
            "account": who,
            "poll": None,
            "media_attachments": attachments,
            "emojis": [],
        }

    versions = [version(e.text, e.spoiler_text, e.sensitive, e.created_at) for e in post.edits.all()]
    versions.append(version(post.text, post.spoiler_text, post.sensitive, post.edited_at or post.created_at, post.html))
    return versions


@api("read:statuses")
def source(request, id):
    post = own_post(request.viewer, id)
    return {"id": str(post.pk), "text": post.text, "spoiler_text": post.spoiler_text}


def _accounts_page(request, rows):
    """A page of (cursor, account) as Accounts with Link headers (favourited_by, reblogged_by)."""
    paging = request.page
    items = rows[: paging.limit]
    if paging.min_id is not None:
        items.reverse()
    headers = {}
    if items:
        more = len(rows) > paging.limit or paging.min_id is not None or paging.since_id is not None
        headers = link_header(request, items[0][0], items[-1][0], has_more=more)
    return Reply([account(acc) for _, acc in items], headers=headers)


def _cursor_filter(queryset, field, paging):
    if paging.max_id is not None:
        queryset = queryset.filter(**{f"{field}__lt": paging.max_id})
    lower = max(v for v in (paging.since_id, paging.min_id, -1) if v is not None)
    if lower >= 0:
        queryset = queryset.filter(**{f"{field}__gt": lower})
    order = field if paging.min_id is not None else f"-{field}"
    return queryset.order_by(order)


def _hidden_accounts(viewer):
    return blocked_ids(viewer)


@api("read:accounts", user="optional")
def favourited_by(request, id):
    post = visible_post(request.viewer, id)
    if post.is_plain_echo:
        post = post.echo_of
    request.page = PageParams(request.params, default=40, maximum=80)
    votes = _cursor_filter(Vote.objects.filter(post=post), "id", request.page).select_related("account")
    hidden = _hidden_accounts(request.viewer)
    if hidden:
        votes = votes.exclude(account_id__in=hidden)
    rows = [(v.pk, v.account) for v in votes[: request.page.limit + 1]]
    return _accounts_page(request, rows)


@api("read:accounts", user="optional")
def reblogged_by(request, id):
    post = visible_post(request.viewer, id)
    if post.is_plain_echo:
        post = post.echo_of
    request.page = PageParams(request.params, default=40, maximum=80)
    echoes = Post.objects.filter(echo_of=post, text="", state=PostState.PUBLISHED).select_related("author")
    hidden = _hidden_accounts(request.viewer)
    if hidden:
        echoes = echoes.exclude(author_id__in=hidden)
    echoes = _cursor_filter(echoes, "id", request.page)
    rows = [(e.pk, e.author) for e in echoes[: request.page.limit + 1]]
    return _accounts_page(request, rows)


# --- writing ------------------------------------------------------------------------------


def _visibility(params, default=Visibility.PUBLIC):
    value = params.text("visibility", "")
    if not value:
        return default
    if value not in VISIBILITY_FROM_API:
        raise ApiError(422, "Validation failed: Visibility is not included in the list")
    return VISIBILITY_FROM_API[value]


def _media_ids(params):
    """The media IDs asked for, refused early when there are more than a post may carry."""
    ids = params.getlist("media_ids")
    limit = InstanceSettings.current().max_media_per_post
    if len(ids) > limit:
        raise ApiError(422, f"Validation failed: a post can have at most {limit} images")
    for value in ids:
        if isinstance(value, (dict, list)) or not str(value).isdigit():
            raise ApiError(422, "Validation failed: an attached image was not found")
    return [str(v) for v in ids]


def _target(viewer, params, key):
    raw = params.get(key)
    if raw in (None, ""):
        return None
    if isinstance(raw, (dict, list)):
        raise ApiError(422, f"Validation failed: {key} must be an ID")
    return visible_post(viewer, raw)


def _rejected(post):
    """422 for a post screening rejected, with the statement of reasons the author is owed."""
    from rostra.moderation.models import Decision

    decision = Decision.objects.filter(post_id=post.pk, action="reject").order_by("-created_at").first()
    reason = decision.statement if decision is not None else "It breaks a rule of this instance."
    extra = {"decision_url": f"{base_url()}{decision.url}"} if decision is not None else {}
    return ApiError(422, f"This post was rejected and is not published. {reason}", **extra)


def _idempotency_key(request):
    key = request.headers.get("Idempotency-Key", "")
    if not key:
        return None
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
    return f"api:idempotency:{request.viewer.pk}:{digest}"


def _text(params, key):
    """A text parameter given once: a list where words are expected is refused, not joined."""
    if len(params.data.get(key, [])) > 1:
        raise ApiError(422, f"Validation failed: {key} must be text")
    return params.text(key)


@api("write:statuses")
def create(request):
    """Post a status. The same ``Idempotency-Key`` within an hour returns the first one."""
    viewer, params = request.viewer, request.params
    key = _idempotency_key(request)
    if key is not None:
        earlier = cache.get(key)
        if earlier is not None:
            post = _fetch(earlier)
            if post is not None and post.author_id == viewer.pk:
                return render_one(viewer, post)
    text = _text(params, "status")
    spoiler_text = _text(params, "spoiler_text")
    language = _text(params, "language")
    media_ids = _media_ids(params)
    visibility = _visibility(params)
    in_reply_to = _target(viewer, params, "in_reply_to_id")
    echo_of = _target(viewer, params, "quoted_status_id")
    if params.get("poll") or "poll[options]" in params:
        raise ApiError(422, "Validation failed: polls are not supported on this server")
    post = actions.create_post(
        viewer,
        text,
        spoiler_text=spoiler_text,
        sensitive=params.flag("sensitive"),
        visibility=visibility,
        in_reply_to=in_reply_to,
        echo_of=echo_of,
        media_ids=media_ids,
        language=language,
    )
    if key is not None:
        cache.set(key, post.pk, IDEMPOTENCY_SECONDS)
    if post.state == PostState.REJECTED:
        raise _rejected(post)
    return _reloaded(viewer, post)


@api("write:statuses")
def edit(request, id):
    """Change a post's words, warning or sensitivity. Its images stay as they are."""
    viewer, params = request.viewer, request.params
    post = own_post(viewer, id)
    if "media_ids" in params:
        wanted = _media_ids(params)
        current = [str(pk) for pk in Media.objects.filter(post=post).order_by("position", "id").values_list("pk", flat=True)]
        if sorted(wanted) != sorted(current):
            raise ApiError(422, "Validation failed: images cannot be added or removed in an edit on this server")
    text = _text(params, "status") if "status" in params else post.text
    spoiler_text = _text(params, "spoiler_text") if "spoiler_text" in params else None
    sensitive = params.flag("sensitive") if "sensitive" in params else None
    was = post.state
    post = actions.edit_post(viewer, post, text, spoiler_text=spoiler_text, sensitive=sensitive)
    if post.state == PostState.REJECTED and was != PostState.REJECTED:
        raise _rejected(post)
    return _reloaded(viewer, post)


@api("write:statuses")
def delete(request, id):
    """Delete a post; the answer is the post with its ``text``, as apps redraft from it."""
    viewer = request.viewer
    post = own_post(viewer, id)
    data = render_one(viewer, post)
    data["text"] = post.text
    actions.delete_post(viewer, post)
    return data


def _on_post(action, scope):
    """A POST endpoint that does ``action(viewer, post)`` and answers the post as it is now."""

    @api(scope)
    def view(request, id):
        viewer = request.viewer
        post = visible_post(viewer, id)
        target = action(viewer, post) or post
        return _reloaded(viewer, target)

    view.__name__ = getattr(action, "__name__", "action")
    return view


def _unecho(viewer, post):
    actions.unecho(viewer, post)
    return post.echo_of if post.is_plain_echo else post


@api("write:statuses")
def reblog(request, id):
    """Echo a post; the answer is the echo, wrapping the post it echoes (Mastodon's reblog)."""
    viewer = request.viewer
    post = visible_post(viewer, id)
    visibility = _visibility(request.params)
    if visibility == Visibility.DIRECT:
        raise ApiError(422, "Validation failed: an echo cannot be direct")
    echo = actions.echo(viewer, post, visibility=visibility)
    return _reloaded(viewer, echo)


favourite = _on_post(actions.vote, "write:favourites")
unfavourite = _on_post(actions.unvote, "write:favourites")
bookmark = _on_post(actions.bookmark, "write:bookmarks")
unbookmark = _on_post(actions.unbookmark, "write:bookmarks")
unreblog = _on_post(_unecho, "write:statuses")


routes = [
    route(r"api/v1/statuses", get=show_many, post=create),
    route(r"api/v1/statuses/(?P<id>[^/]+)", get=show, put=edit, delete=delete),
    route(r"api/v1/statuses/(?P<id>[^/]+)/context", get=context),
    route(r"api/v1/statuses/(?P<id>[^/]+)/history", get=history),
    route(r"api/v1/statuses/(?P<id>[^/]+)/source", get=source),
    route(r"api/v1/statuses/(?P<id>[^/]+)/favourite", post=favourite),
    route(r"api/v1/statuses/(?P<id>[^/]+)/unfavourite", post=unfavourite),
    route(r"api/v1/statuses/(?P<id>[^/]+)/reblog", post=reblog),
    route(r"api/v1/statuses/(?P<id>[^/]+)/unreblog", post=unreblog),
    route(r"api/v1/statuses/(?P<id>[^/]+)/bookmark", post=bookmark),
    route(r"api/v1/statuses/(?P<id>[^/]+)/unbookmark", post=unbookmark),
    route(r"api/v1/statuses/(?P<id>[^/]+)/favourited_by", get=favourited_by),
    route(r"api/v1/statuses/(?P<id>[^/]+)/reblogged_by", get=reblogged_by),
]
