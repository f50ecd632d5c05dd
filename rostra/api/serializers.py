"""Rostra's accounts, posts and media in the shapes Mastodon's client API sends.

Names map as the product's language does: an echo is a reblog (a plain echo) or a quote (an
echo with words of its own), a vote is a favourite, a comment is a reply, followers-only is
"private". IDs are strings, times are ISO 8601 in UTC with milliseconds, URLs are absolute.
"""

import re

from django.templatetags.static import static

from rostra.core.html import extract_hashtags
from rostra.core.site import absolute, base_url  # noqa: F401  (re-exported for the API's modules)
from rostra.posts.models import PostState, Visibility

VISIBILITY_TO_API = {
    Visibility.PUBLIC: "public",
    Visibility.UNLISTED: "unlisted",
    Visibility.FOLLOWERS: "private",
    Visibility.DIRECT: "direct",
}
VISIBILITY_FROM_API = {value: key for key, value in VISIBILITY_TO_API.items()}


_RELATIVE_HREF = re.compile(r'href="/')


def absolute_html(html):
    """Links in rendered text point at this server's pages; apps need them absolute."""
    return _RELATIVE_HREF.sub(f'href="{base_url()}/', html) if html else html


def timestamp(value):
    if value is None:
        return None
    from datetime import timezone as dt_timezone

    # isoformat is several times cheaper than strftime, and a feed page formats a hundred.
    return value.astimezone(dt_timezone.utc).isoformat(timespec="milliseconds")[:23] + "Z"


def date_only(value):
    return value.strftime("%Y-%m-%d") if value is not None else None


_STATIC_URLS = {}


def static_url(name):
    """An absolute static URL, worked out once per server address: ``static()`` asks the
    storage every time, and a feed page needs the placeholder avatar and header per author."""
    key = (name, base_url())
    url = _STATIC_URLS.get(key)
    if url is None:
        url = _STATIC_URLS[key] = absolute(static(name))
    return url


def missing_avatar():
    return static_url("avatar-missing.png")


def _file_url(field):
    try:
        return absolute(field.url) if field else None
    except ValueError:
        return None


def account(acc):
    """Mastodon's Account for a Rostra account."""
    avatar = _file_url(acc.avatar) or missing_avatar()
    header = _file_url(acc.header) or static_url("header-missing.png")
    url = absolute(acc.url) if acc.is_local else (acc.uri or absolute(acc.url))
    fields = []
    for item in acc.links or []:
        try:
            label, link = item
        except (TypeError, ValueError):
            continue
        fields.append(
            {
                "name": label,
                "value": f'<a href="{_attr(link)}" rel="nofollow noopener noreferrer me" target="_blank">{_text(link)}</a>',
                "verified_at": None,
            }
        )
    return {
        "id": str(acc.pk),
        "username": acc.username,
        "acct": acc.username if acc.is_local else f"{acc.username}@{acc.domain}",
        "display_name": acc.display_name,
        "locked": acc.locked,
        "bot": False,
        "discoverable": True,
        "indexable": True,
        "group": False,
        "created_at": timestamp(acc.created_at),
        "note": absolute_html(acc.bio_html),
        "url": url,
        "uri": url,
        "avatar": avatar,
        "avatar_static": avatar,
        "header": header,
        "header_static": header,
        "followers_count": acc.followers_count,
        "following_count": acc.following_count,
        "statuses_count": acc.posts_count,
        "last_status_at": date_only(acc.last_post_at),
        "hide_collections": False,
        "noindex": False,
        "emojis": [],
        "roles": [],
        "fields": fields,
        # Rostra's own badges, set by admins (Mastodon has no such thing; apps ignore it).
        "rostra": {"verified": acc.verified, "public_figure": acc.public_figure, "parody": acc.parody},
    }


def credential_account(acc):
    """The signed-in person's own Account, with ``source`` (what they typed) and ``role``."""
    data = account(acc)
    data["source"] = {
        "privacy": "public",
        "sensitive": False,
        "language": "",
        "note": acc.bio,
        "fields": [{"name": label, "value": link, "verified_at": None} for label, link in (acc.links or [])],
        "follow_requests_count": getattr(acc, "follow_requests_count", 0),
        "hide_collections": False,
        "discoverable": True,
        "indexable": True,
    }
    user = acc.user if acc.user_id else None
    role = getattr(user, "role", "user") if user else "user"
    data["role"] = {
        "id": {"user": "-99", "moderator": "2", "admin": "3"}.get(role, "-99"),
        "name": "" if role == "user" else role.capitalize(),
        "color": "",
        "permissions": "1" if role == "admin" else "0",
        "highlighted": role != "user",
    }
    return data


def _attr(value):
    return str(value).replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")


def _text(value):
    return str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def media(item):
    """Mastodon's MediaAttachment for an image."""
    url = _file_url(item.file)
    preview = _file_url(item.thumbnail) or url
    meta = {}
    if item.width and item.height:
        original = {
            "width": item.width,
            "height": item.height,
            "size": f"{item.width}x{item.height}",
            "aspect": round(item.width / item.height, 6),
        }
        meta = {"original": original, "small": dict(original)}
    return {
        "id": str(item.pk),
        "type": "image",
        "url": url if item.state == item.State.READY or url else None,
        "preview_url": preview,
        "remote_url": None,
        "preview_remote_url": None,
        "text_url": None,
        "meta": meta,
        "description": item.description or None,
        "blurhash": item.blurhash or None,
    }


def tag(name, history=None):
    return {"name": name, "url": f"{base_url()}/tags/{name}", "history": history or []}


def relationship(target_id, facts):
    """Mastodon's Relationship; ``facts`` is a set of words from ``accounts.relationships``."""
    return {
        "id": str(target_id),
        "following": "following" in facts,
        "showing_reblogs": "following" in facts,
        "notifying": False,
        "languages": None,
        "followed_by": "followed_by" in facts,
        "blocking": "blocking" in facts,
        "blocked_by": "blocked_by" in facts,
        "muting": "muting" in facts,
        "muting_notifications": "muting" in facts,
        "requested": "requested" in facts,
        "requested_by": "requested_by" in facts,
        "domain_blocking": False,
        "endorsed": False,
        "note": "",
    }


class StatusContext:
    """What a page of statuses needs beyond the posts: mentions per post, the viewer's marks.

    Built by ``statuses.hydrate_for_api`` in a fixed number of queries for a whole page.
    """

    def __init__(self, viewer=None, mentions=None):
        self.viewer = viewer
        self.mentions = mentions or {}
        self._accounts = {}

    def account_of(self, acc):
        """The Account JSON for ``acc``, built once per page: a feed shows few authors many times."""
        data = self._accounts.get(acc.pk)
        if data is None:
            data = self._accounts[acc.pk] = account(acc)
        return data


def _mention(acc):
    return {
        "id": str(acc.pk),
        "username": acc.username,
        "url": absolute(acc.url) if acc.is_local else (acc.uri or absolute(acc.url)),
        "acct": acc.username if acc.is_local else f"{acc.username}@{acc.domain}",
    }


def status(post, ctx, _depth=0):
    """Mastodon's Status for a post (hydrated by ``timelines.queries.hydrate``)."""
    author = post.author
    if post.is_plain_echo and post.echo_of is not None and _depth == 0:
        original = status(post.echo_of, ctx, _depth + 1)
        data = _status_fields(post, author, ctx)
        data.update(
            {
                "reblog": original,
                "content": "",
                "media_attachments": [],
                "mentions": [],
                "tags": [],
                "favourited": original["favourited"],
                "reblogged": original["reblogged"],
                "bookmarked": original["bookmarked"],
            }
        )
        return data
    data = _status_fields(post, author, ctx)
    if post.echo_of_id and post.echo_of is not None and _depth == 0:
        data["quote"] = {"state": "accepted", "quoted_status": status(post.echo_of, ctx, _depth + 1)}
    return data


def _status_fields(post, author, ctx):
    url = absolute(post.url)
    viewer = ctx.viewer
    mentions = ctx.mentions.get(post.pk, [])
    data = {
        "id": str(post.pk),
        "uri": url if author.is_local else (post.uri or url),
        "url": url if author.is_local else (post.uri or url),
        "created_at": timestamp(post.created_at),
        "edited_at": timestamp(post.edited_at),
        "account": ctx.account_of(author),
        "content": absolute_html(post.html),
        "text": None,
        "visibility": VISIBILITY_TO_API.get(post.visibility, "public"),
        "sensitive": bool(post.sensitive or post.spoiler_text),
        "spoiler_text": post.spoiler_text,
        "media_attachments": [media(m) for m in getattr(post, "media_list", [])],
        "application": None,
        "mentions": [_mention(a) for a in mentions],
        "tags": [tag(name.lower()) for name in extract_hashtags(post.text)] if "#" in post.text else [],
        "emojis": [],
        "reblogs_count": post.echoes_count,
        "favourites_count": post.votes_count,
        "replies_count": post.replies_count,
        "quotes_count": 0,
        "in_reply_to_id": str(post.in_reply_to_id) if post.in_reply_to_id else None,
        "in_reply_to_account_id": str(post.in_reply_to_account_id) if post.in_reply_to_account_id else None,
        "reblog": None,
        "poll": None,
        "card": None,
        "language": post.language or None,
        "filtered": [],
        "quote": None,
    }
    if viewer is not None:
        data["favourited"] = getattr(post, "viewer_voted", False)
        data["reblogged"] = getattr(post, "viewer_echoed", False)
        data["bookmarked"] = getattr(post, "viewer_bookmarked", False)
        data["muted"] = False
        data["pinned"] = False
    else:
        data["favourited"] = False
        data["reblogged"] = False
        data["bookmarked"] = False
    if post.state != PostState.PUBLISHED:
        # Only the author ever sees a held post; say why it has not spread.
        data["rostra"] = {"state": post.state}
    return data


def mentions_by_post(posts):
    """{post id: [mentioned Account]} for these posts and the posts they echo, in one query."""
    from rostra.posts.models import Mention

    ids = {p.pk for p in posts} | {p.echo_of_id for p in posts if p.echo_of_id}
    found = {}
    if ids:
        for m in Mention.objects.filter(post_id__in=ids).select_related("account").order_by("id"):
            found.setdefault(m.post_id, []).append(m.account)
    return found


def statuses_for(viewer, posts):
    """Statuses for a page of posts in a fixed number of queries, whatever the page size.

    ``timelines.queries.hydrate`` attaches media and the viewer's marks; one more query finds
    everyone mentioned. Posts must come with ``author`` and ``echo_of__author`` selected.
    """
    from rostra.timelines.queries import hydrate

    posts = hydrate(viewer, posts)
    ctx = StatusContext(viewer, mentions_by_post(posts))
    return [status(p, ctx) for p in posts]


# --- Statuses as pre-encoded JSON, for timelines ---------------------------------------------
#
# A timeline page is forty statuses, each with its author's Account: built as dicts and encoded
# that is most of the page's time, although between two requests almost none of it changes.
# So each status is encoded once per process and kept as bytes, keyed by everything its JSON
# shows (the post's words, state and counters, its author's account, its media and mentions).
# A changed counter or an edited profile makes a new key; nothing cached can be stale. Only what
# depends on the reader (favourited, reblogged, bookmarked) and the nesting (reblog, quote) is
# added per request. ``test_serializers`` checks the result equals ``status()`` exactly.

_ENCODED = {}
_MAX_ENCODED = 10_000
_PER_READER = ("favourited", "reblogged", "bookmarked", "muted", "pinned", "reblog", "quote")


def _account_key(acc):
    return (
        acc.pk, acc.username, acc.domain, acc.display_name, acc.locked, acc.bio_html, acc.uri,
        acc.__dict__.get("avatar"), acc.__dict__.get("header"), acc.followers_count, acc.following_count,
        acc.posts_count, acc.last_post_at, acc.created_at, acc.verified, acc.public_figure, acc.parody,
        repr(acc.links),
    )


def _post_key(post, ctx, wrapper, base):
    media_list = getattr(post, "media_list", ())
    return (
        wrapper, post.pk, post.edited_at, post.state, post.visibility, post.sensitive, post.replies_count,
        post.echoes_count, post.votes_count, post.in_reply_to_id, post.in_reply_to_account_id,
        post.language, post.uri, _account_key(post.author),
        tuple((m.pk, m.description, m.__dict__.get("file"), m.__dict__.get("thumbnail"), m.width, m.height,
               m.blurhash, m.state) for m in media_list) if media_list else (),
        tuple((a.pk, a.username, a.domain, a.uri) for a in ctx.mentions.get(post.pk, ())),
        base,
    )


def _encoded_core(post, ctx, wrapper=False):
    """The status's JSON object without its closing brace and without the per-reader keys."""
    import orjson

    key = _post_key(post, ctx, wrapper, ctx.base)
    core = _ENCODED.get(key)
    if core is None:
        data = _status_fields(post, post.author, ctx)
        if wrapper:
            data.update({"content": "", "media_attachments": [], "mentions": [], "tags": []})
        for name in _PER_READER:
            data.pop(name, None)
        core = orjson.dumps(data)[:-1]
        if len(_ENCODED) >= _MAX_ENCODED:
            _ENCODED.clear()
        _ENCODED[key] = core
    return core


def _marks(post, viewer):
    def flag(value):
        return b"true" if value else b"false"

    marks = (
        b',"favourited":' + flag(viewer is not None and getattr(post, "viewer_voted", False))
        + b',"reblogged":' + flag(viewer is not None and getattr(post, "viewer_echoed", False))
        + b',"bookmarked":' + flag(viewer is not None and getattr(post, "viewer_bookmarked", False))
    )
    if viewer is not None:
        marks += b',"muted":false,"pinned":false'
    return marks


def _encoded_status(post, ctx, depth=0):
    if post.is_plain_echo and post.echo_of is not None and depth == 0:
        inner = _encoded_status(post.echo_of, ctx, 1)
        return (
            _encoded_core(post, ctx, wrapper=True) + b',"reblog":' + inner + b',"quote":null'
            + _marks(post.echo_of, ctx.viewer) + b"}"
        )
    quote = b"null"
    if post.echo_of_id and post.echo_of is not None and depth == 0:
        quote = b'{"state":"accepted","quoted_status":' + _encoded_status(post.echo_of, ctx, 1) + b"}"
    return _encoded_core(post, ctx) + b',"reblog":null,"quote":' + quote + _marks(post, ctx.viewer) + b"}"


def encoded_statuses(posts, ctx):
    """``status()`` for each post, as JSON fragments the response encoder copies verbatim."""
    import orjson

    ctx.base = base_url()
    return [orjson.Fragment(_encoded_status(p, ctx)) for p in posts]
