"""Processing an activity another server sent: what it changes here, through the same actions
local people use.

The inbox view has already verified the signature, checked that the signer is the activity's
actor and stored the activity by its id (so a replay never reaches this module twice). Here
each type is mapped onto Rostra's actions: a Follow is ``accounts.actions.follow``, a Like is
``posts.actions.vote``, a Create is ``posts.actions.receive_post`` (screened like any post),
and so on. Anything that does not concern this server, or that the actor may not do, is
ignored without changing anything.
"""

import logging
import re
import threading

from django.db import transaction

from rostra.accounts import actions as accounts
from rostra.accounts.models import Follow, FollowRequest
from rostra.core.errors import ActionError
from rostra.posts import actions as posts
from rostra.posts.models import Post, PostState, Visibility

from . import parse, resolve, uris
from .actions import blocked_domain, media_rejected, note_success, store_actor
from .models import Actor, DomainBlock, ReceivedActivity

log = logging.getLogger(__name__)

NOTE_TYPES = {"Note", "Article", "Question", "Page"}
MAX_ATTACHMENTS = 4
MAX_THREAD_FETCH_DEPTH = 3


class Ignored(Exception):
    """Nothing to do here, and why."""


def process(received_id):
    # Posts stored from here fan out in this worker, right after their commit (posts.actions).
    _depth.in_worker = True
    try:
        return _process(received_id)
    finally:
        _depth.in_worker = False


def _process(received_id):
    received = ReceivedActivity.objects.filter(pk=received_id, state=ReceivedActivity.State.PENDING).first()
    if received is None:
        return "already processed"
    state, error = ReceivedActivity.State.DONE, ""
    if received.signature:
        # The inbox could not check the signature without fetching the key: do it now.
        from .signatures import SignatureError
        from .verify import signer_of_deferred

        try:
            signer = signer_of_deferred(received.signature)
            if signer is None or signer.uri != received.actor_uri:
                raise SignatureError("The activity is signed by someone other than its actor.")
        except SignatureError as exc:
            ReceivedActivity.objects.filter(pk=received.pk).update(
                state=ReceivedActivity.State.REFUSED, error=str(exc)[:2000], body={}, signature={}
            )
            return "refused"
    try:
        actor = resolve.known_account(received.actor_uri) or resolve.actor(received.actor_uri)
        handle(actor, received.body)
        note_success(actor.domain or "")
    except (Ignored, ActionError, parse.Invalid, resolve.NotResolved) as exc:
        state, error = ReceivedActivity.State.IGNORED, str(getattr(exc, "message", exc))
    except Exception as exc:  # a bug must not stop the queue; the activity keeps its body
        log.exception("Processing %s failed", received.activity_id)
        ReceivedActivity.objects.filter(pk=received.pk).update(
            state=ReceivedActivity.State.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        return "failed"
    ReceivedActivity.objects.filter(pk=received.pk).update(state=state, error=error[:2000], body={}, signature={})
    return state


def handle(actor, activity):
    kind = next(iter(parse.types(activity) & set(HANDLERS)), None)
    if kind is None:
        raise Ignored(f"{sorted(parse.types(activity))} activities are not handled.")
    return HANDLERS[kind](actor, activity)


# --- helpers ----------------------------------------------------------------------------

def _local_account(uri):
    local = uris.parse_local(uri or "")
    if local is None or local[1] is not None:
        return None
    return resolve.known_account(uri)


def _known_post(uri):
    """A post here by its id: a local one by its URL, a remote one by its stored id."""
    if not uri:
        return None
    local = uris.parse_local(uri)
    if local is not None:
        return Post.objects.filter(pk=local[1] or 0, author__domain__isnull=True).select_related("author").first()
    return Post.objects.filter(uri=uri).select_related("author").first()


def _object(activity):
    obj = activity.get("object")
    if isinstance(obj, list):
        obj = obj[0] if obj else None
    return obj


_depth = threading.local()


def _fetch_parent(uri):
    """The post a reply answers; fetched when unknown, a few levels up at most."""
    found = _known_post(uri)
    if found is not None or not uri:
        return found
    level = getattr(_depth, "level", 0)
    if level >= MAX_THREAD_FETCH_DEPTH:
        return None
    _depth.level = level + 1
    try:
        return resolve.post(uri)
    except (resolve.NotResolved, parse.Invalid, ActionError) as exc:
        log.info("Parent %s of a reply not fetched: %s", uri, exc)
        return None
    finally:
        _depth.level = level


def _attachments(author, obj):
    items = obj.get("attachment")
    items = items if isinstance(items, list) else [items] if isinstance(items, dict) else []
    if not items or media_rejected(author.domain or ""):
        return []
    found = []
    for item in items[:MAX_ATTACHMENTS]:
        if not isinstance(item, dict):
            continue
        media_type = item.get("mediaType") if isinstance(item.get("mediaType"), str) else ""
        if media_type and not media_type.startswith("image/"):
            continue
        url = parse.id_of(item.get("url"))
        if not url or not parse.host(url):
            continue
        description = item.get("name") if isinstance(item.get("name"), str) else ""
        width = item.get("width") if isinstance(item.get("width"), int) else 0
        height = item.get("height") if isinstance(item.get("height"), int) else 0
        blurhash = item.get("blurhash") if isinstance(item.get("blurhash"), str) else ""
        found.append((url[:500], description, max(0, width), max(0, height), blurhash))
    return found


def _mentioned(obj):
    """Accounts here that a Note mentions (local ones, and remote ones already known)."""
    people = {}
    tags = obj.get("tag")
    for tag in (tags if isinstance(tags, list) else [tags] if isinstance(tags, dict) else [])[:50]:
        if isinstance(tag, dict) and tag.get("type") == "Mention":
            account = resolve.known_account(parse.id_of(tag.get("href")) or "")
            if account is not None:
                people[account.pk] = account
    return list(people.values())


_HREF = re.compile(r'href="([^"]*)"')


def _local_links(html, obj, mentioned):
    """Point the Note's mention and hashtag links at this server's pages for them.

    Servers link a mention to the person's profile page (not always their id) and a hashtag
    to their own tag page, in whatever case it was typed; both are matched without case.
    """
    targets = {}
    tags = obj.get("tag")
    for tag in tags if isinstance(tags, list) else []:
        if isinstance(tag, dict) and tag.get("type") == "Hashtag" and isinstance(tag.get("name"), str):
            name = tag["name"].lstrip("#").lower()
            if name and name.replace("_", "").isalnum():
                if isinstance(tag.get("href"), str):
                    targets[tag["href"].lower()] = f"/tags/{name}"
    profile_urls = (
        dict(Actor.objects.filter(account__in=[a.pk for a in mentioned]).values_list("account_id", "url")) if mentioned else {}
    )
    for account in mentioned:
        for href in (uris.actor(account), profile_urls.get(account.pk)):
            if href:
                targets[href.lower()] = account.url

    def local(match):
        href = match.group(1).replace("&amp;", "&")
        found = targets.get(href.lower())
        if found is None and "/tags/" in href.lower():
            name = href.rsplit("/tags/", 1)[1].split("?", 1)[0].lower()
            found = f"/tags/{name}" if name.replace("_", "").isalnum() and f"/tags/{name}" in targets.values() else None
        return f'href="{found}"' if found else match.group(0)

    return _HREF.sub(local, html) if targets else html


def store_note(author, obj):
    """A remote Note (Article, Question...) as a Post here, screened before anyone sees it."""
    if not parse.types(obj) & NOTE_TYPES:
        raise Ignored("Only notes become posts.")
    uri = obj.get("id")
    if not isinstance(uri, str) or not parse.same_host(uri, author.uri):
        raise parse.Invalid("The post's id is not on its author's server.")
    existing = Post.objects.filter(uri=uri).select_related("author").first()
    if existing is not None:
        return existing
    if parse.id_of(obj.get("attributedTo")) != author.uri:
        raise parse.Invalid("The post is attributed to someone else.")
    html, text = parse.content(obj)
    name = obj.get("name") if isinstance(obj.get("name"), str) and "Note" not in parse.types(obj) else ""
    if name:
        # An Article's title; the text is what the server says its summary or body is.
        text = f"{parse.text(name, 200)}\n\n{text}".strip()
    _, spoiler = parse.html(obj.get("summary"))
    actor_row = Actor.objects.filter(account_id=author.pk).values_list("followers", flat=True).first()
    visibility = parse.visibility(obj, actor_row or "")
    if visibility == Visibility.PUBLIC and blocked_domain(author.domain, DomainBlock.Severity.LIMIT):
        # A limited server's posts reach its followers here, not public timelines or tags.
        visibility = Visibility.UNLISTED
    in_reply_to = _fetch_parent(parse.id_of(obj.get("inReplyTo")))
    quoted = None
    for field in ("quote", "quoteUri", "quoteUrl", "_misskey_quote"):
        quote_uri = parse.id_of(obj.get(field))
        if quote_uri:
            quoted = _known_post(quote_uri)
            break
    if quoted is not None and (quoted.state != PostState.PUBLISHED or quoted.visibility not in (Visibility.PUBLIC, Visibility.UNLISTED)):
        quoted = None
    mentioned = _mentioned(obj)
    html = _local_links(html, obj, mentioned)
    return posts.receive_post(
        author,
        uri=uri,
        text=text,
        html=html,
        spoiler_text=spoiler[:200],
        sensitive=bool(obj.get("sensitive")),
        visibility=visibility,
        in_reply_to=in_reply_to,
        echo_of=quoted,
        mentioned=[m for m in mentioned if m.pk != author.pk],
        created_at=parse.when(obj.get("published")),
        language=parse.language(obj),
        media=_attachments(author, obj),
        inline=getattr(_depth, "in_worker", False),
    )


# --- handlers ---------------------------------------------------------------------------

def on_create(actor, activity):
    obj = _object(activity)
    if isinstance(obj, str):
        if not parse.same_host(obj, actor.uri):
            raise parse.Invalid("A Create of someone else's post.")
        return resolve.post(obj)
    if not isinstance(obj, dict):
        raise Ignored("A Create without an object.")
    if not parse.types(obj) & NOTE_TYPES:
        raise Ignored(f"{sorted(parse.types(obj))} objects are not stored.")
    return store_note(actor, obj)


def on_update(actor, activity):
    obj = _object(activity)
    if not isinstance(obj, dict):
        raise Ignored("An Update must carry the object.")
    if parse.types(obj) & parse.ACTOR_TYPES:
        if obj.get("id") != actor.uri:
            raise parse.Invalid("An actor may only update itself.")
        return store_actor(obj)
    if parse.types(obj) & NOTE_TYPES:
        post = Post.objects.filter(uri=obj.get("id"), author=actor).first()
        if post is None:
            return store_note(actor, obj)
        html, text = parse.content(obj)
        _, spoiler = parse.html(obj.get("summary"))
        html = _local_links(html, obj, _mentioned(obj))
        return posts.edit_received_post(
            post, text=text, html=html, spoiler_text=spoiler[:200], sensitive=bool(obj.get("sensitive")),
            edited_at=parse.when(obj.get("updated")),
        )
    raise Ignored("Only actors and notes are updated.")


def on_delete(actor, activity):
    target = parse.id_of(_object(activity))
    if target == actor.uri:
        accounts.delete_account(actor)
        return "account deleted"
    post = Post.objects.filter(uri=target, author=actor).first()
    if post is None:
        raise Ignored("Nothing stored by that id.")
    posts.delete_post(actor, post)
    return "post deleted"


def on_follow(actor, activity):
    target = _local_account(parse.id_of(_object(activity)))
    if target is None:
        raise Ignored("The Follow is not for anyone here.")
    from . import outbox

    follow_uri = activity.get("id")
    if target.is_suspended or accounts.is_blocked_between(actor, target):
        outbox.follow_answered(target, actor, follow_uri, accepted=False)
        return "rejected"
    result = accounts.follow(actor, target, uri=follow_uri)
    if result == "following":
        outbox.follow_answered(target, actor, follow_uri, accepted=True)
    return result


def _our_follow(actor, obj):
    """The local account whose Follow of ``actor`` an Accept or Reject answers."""
    follow_uri = parse.id_of(obj)
    request = FollowRequest.objects.filter(target=actor, uri=follow_uri).select_related("follower").first() if follow_uri else None
    if request is None and isinstance(obj, dict):
        follower = _local_account(parse.id_of(obj.get("actor")))
        if follower is not None:
            request = FollowRequest.objects.filter(target=actor, follower=follower).select_related("follower").first()
    if request is not None:
        return request.follower
    follow = Follow.objects.filter(target=actor, uri=follow_uri).select_related("follower").first() if follow_uri else None
    if follow is None and isinstance(obj, dict):
        follower = _local_account(parse.id_of(obj.get("actor")))
        if follower is not None:
            follow = Follow.objects.filter(target=actor, follower=follower).select_related("follower").first()
    return follow.follower if follow is not None else None


def on_accept(actor, activity):
    follower = _our_follow(actor, _object(activity))
    if follower is None:
        raise Ignored("No follow request of ours matches.")
    accounts.follow_accepted(follower, actor)
    return "following"


def on_reject(actor, activity):
    follower = _our_follow(actor, _object(activity))
    if follower is None:
        raise Ignored("No follow of ours matches.")
    with transaction.atomic():
        accounts.unfollow(follower, actor, notify_remote=False)
    return "rejected"


def on_like(actor, activity):
    post = _known_post(parse.id_of(_object(activity)))
    if post is None or not post.author.is_local:
        raise Ignored("The Like is not for a post here.")
    posts.vote(actor, post)
    return "voted"


def on_announce(actor, activity):
    obj = _object(activity)
    uri = parse.id_of(obj)
    original = _known_post(uri)
    if original is None:
        if isinstance(obj, dict) and parse.same_host(uri, actor.uri):
            # An echo of a post from the echoer's own server may carry it (the signature
            # vouches for both); anyone else's post is fetched from where it lives.
            original = store_note(resolve.actor(parse.id_of(obj.get("attributedTo"))), obj)
        else:
            original = resolve.post(uri)
    if original is None or original.state != PostState.PUBLISHED:
        raise Ignored("The echoed post is not available.")
    if original.visibility not in (Visibility.PUBLIC, Visibility.UNLISTED):
        raise Ignored("Only public posts can be echoed.")
    if accounts.is_blocked_between(actor, original.author):
        raise Ignored("The echoer and the author block each other.")
    audience = parse.audience(activity)
    followers = Actor.objects.filter(account_id=actor.pk).values_list("followers", flat=True).first() or ""
    visibility = parse.visibility(activity, followers) if audience else Visibility.PUBLIC
    if visibility not in (Visibility.PUBLIC, Visibility.UNLISTED):
        visibility = Visibility.FOLLOWERS
    return posts.receive_post(
        actor, uri=activity.get("id"), text="", html="", visibility=visibility, echo_of=original,
        created_at=parse.when(activity.get("published")), inline=getattr(_depth, "in_worker", False),
    )


def on_undo(actor, activity):
    obj = _object(activity)
    kinds = parse.types(obj) if isinstance(obj, dict) else set()
    inner_id = parse.id_of(obj)
    if not kinds:
        # Only the id: the undone activity is one we stored (an echo) or we cannot tell.
        echo = Post.objects.filter(uri=inner_id, author=actor).first() if inner_id else None
        if echo is None:
            raise Ignored("Undo of an activity Rostra cannot identify.")
        kinds = {"Announce"}
    if isinstance(obj, dict) and parse.id_of(obj.get("actor")) not in (None, actor.uri):
        raise parse.Invalid("An actor may only undo its own activities.")
    if "Follow" in kinds:
        target = _local_account(parse.id_of(obj.get("object")))
        if target is None:
            raise Ignored("Not a follow of anyone here.")
        accounts.unfollow(actor, target)
        return "unfollowed"
    if "Like" in kinds:
        post = _known_post(parse.id_of(obj.get("object")))
        if post is None:
            raise Ignored("Not a vote on a post here.")
        posts.unvote(actor, post)
        return "vote withdrawn"
    if "Announce" in kinds:
        echo = Post.objects.filter(uri=inner_id, author=actor).first()
        if echo is None and isinstance(obj, dict):
            original = _known_post(parse.id_of(obj.get("object")))
            echo = Post.objects.filter(author=actor, echo_of=original, text="").first() if original else None
        if echo is None:
            raise Ignored("No such echo here.")
        posts.delete_post(actor, echo)
        return "echo withdrawn"
    if "Block" in kinds:
        target = _local_account(parse.id_of(obj.get("object")))
        if target is None:
            raise Ignored("Not a block of anyone here.")
        accounts.unblock(actor, target)
        return "unblocked"
    raise Ignored(f"Undo of {sorted(kinds)} is not handled.")


def on_block(actor, activity):
    target = _local_account(parse.id_of(_object(activity)))
    if target is None:
        raise Ignored("The Block is not of anyone here.")
    accounts.block(actor, target, notify_remote=False)
    return "blocked"


def on_flag(actor, activity):
    from rostra.moderation import actions as moderation

    if DomainBlock.objects.filter(domain=actor.domain, reject_reports=True).exists():
        raise Ignored("Reports from this server are not accepted.")
    objects = parse.ids(activity.get("object"))
    comment = parse.text(activity.get("content"), 1000)
    reported_posts = [p for p in (_known_post(u) for u in objects) if p is not None and p.author.is_local]
    accounts_named = [a for a in (_local_account(u) for u in objects) if a is not None]
    comment = f"Report from {actor.domain}: {comment}".strip().rstrip(":")[:1000]
    made = []
    for post in reported_posts:
        made.append(moderation.report(actor, post=post, reason="other", comment=comment, from_server=True))
    if not made:
        for account in accounts_named[:1]:
            made.append(moderation.report(actor, account=account, reason="other", comment=comment, from_server=True))
    if not made:
        raise Ignored("The Flag names nothing here.")
    return f"{len(made)} report(s)"


def on_move(actor, activity):
    """A remote account moved: everyone here who followed it follows the new account instead,
    if the new account says it is the same person (``alsoKnownAs``)."""
    origin = parse.id_of(activity.get("object")) or actor.uri
    if origin != actor.uri:
        raise parse.Invalid("An actor may only move itself.")
    target_uri = parse.id_of(activity.get("target"))
    if not target_uri:
        raise parse.Invalid("A Move without a target.")
    target = resolve.actor(target_uri, refresh=True)
    aliases = Actor.objects.filter(account_id=target.pk).values_list("also_known_as", flat=True).first() or []
    if target.is_local:
        from .keys import local_actor

        aliases = local_actor(target).also_known_as
    if actor.uri not in aliases:
        raise parse.Invalid("The new account does not name the old one among its aliases.")
    return accounts.move_followers(actor, target)


HANDLERS = {
    "Create": on_create,
    "Update": on_update,
    "Delete": on_delete,
    "Follow": on_follow,
    "Accept": on_accept,
    "Reject": on_reject,
    "Like": on_like,
    "Announce": on_announce,
    "Undo": on_undo,
    "Block": on_block,
    "Flag": on_flag,
    "Move": on_move,
}

# Used by the inbox view: types whose object must live on the actor's own server.
OWN_OBJECT_TYPES = {"Create", "Update", "Delete"}
