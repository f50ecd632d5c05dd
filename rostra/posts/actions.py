"""Every change to posts: writing, editing, deleting, echoing, voting, bookmarking, media.

A post is created ``pending``; ``screen_post`` decides whether it is published, held or
rejected. Counters, hashtags, search, fan-out and notifications happen only on publish,
so a post nobody may see yet leaves no trace anywhere else.
"""

import secrets
import uuid

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Lower
from django.utils import timezone

from rostra.accounts.actions import _counter, is_blocked_between
from rostra.accounts.models import Account
from rostra.core import ratelimit
from rostra.core.errors import ActionError, Forbidden, NotFound
from rostra.core.html import clean_text, extract_hashtags, extract_mentions, render_text
from rostra.core.models import InstanceSettings
from rostra.core.tasks import enqueue_on_commit

from . import search
from .models import Bookmark, Hashtag, Media, Mention, Post, PostEdit, PostHashtag, PostState, Visibility, Vote
from .queries import can_see

MAX_SPOILER_LENGTH = 200


def _id_for(at):
    """An ID for a post written at ``at`` (an archive's or another server's time). Such times
    often stop at the second, so many posts share a millisecond: a random one within that
    second spreads them out (the ID still sorts by the second)."""
    from datetime import timedelta

    from rostra.core.ids import new_id

    if at.microsecond == 0:
        at = at + timedelta(milliseconds=secrets.randbelow(1000))
    return new_id(at)


def _insert(post, at):
    """Insert a new post whose ID came from a given time. Another process may have drawn the
    same ID for the same millisecond (1 in 4 million, but servers that send times to the
    second make it likelier): draw again rather than lose the post."""
    for attempt in range(5):
        try:
            with transaction.atomic():
                post.save(force_insert=True)
            return post
        except IntegrityError:
            if attempt == 4 or not Post.objects.filter(pk=post.pk).exists():
                raise
            post.id = _id_for(at)
    return post


def _resolve_mentions(text):
    """Accounts mentioned in ``text`` that exist here, keyed by (username, domain)."""
    found = {}
    for username, domain in extract_mentions(text)[:50]:
        # LOWER() = uses the case-insensitive unique indexes; __iexact would scan every account.
        qs = Account.objects.alias(username_lower=Lower("username")).filter(username_lower=username.lower())
        account = (qs.filter(domain=domain) if domain else qs.filter(domain__isnull=True)).first()
        if account is not None:
            found[(username, domain)] = account
    return found


def look_up_remote_mentions(text):
    """Find people elsewhere that a text mentions (``@name@server``) and are not known here yet.

    Runs before the post's transaction: a WebFinger request must never hold the database's
    write lock. At most five look-ups per post; one that fails leaves the mention as text.
    """
    from django.conf import settings

    if not settings.ROSTRA_FEDERATION:
        return
    from rostra.federation import resolve

    asked = 0
    for username, domain in extract_mentions(text)[:50]:
        if not domain or asked >= 5 or (username, domain) in _resolve_mentions(f"@{username}@{domain}"):
            continue
        asked += 1
        try:
            resolve.handle(f"{username}@{domain}")
        except resolve.NotResolved:
            pass


def _render(post):
    """Fill ``post.html`` from its text; returns the mentioned accounts."""
    mentioned = _resolve_mentions(post.text)
    post.html = render_text(post.text, {key: acc.url for key, acc in mentioned.items()})
    return list({acc.pk: acc for acc in mentioned.values()}.values())


def _validate_text(text, spoiler_text, allow_empty):
    text = clean_text(text).strip()
    spoiler_text = clean_text(spoiler_text).strip()
    limit = InstanceSettings.current().max_post_length
    if len(text) > limit:
        raise ActionError(f"Posts can be at most {limit} characters; this one has {len(text)}.", status=422, field="text")
    if len(spoiler_text) > MAX_SPOILER_LENGTH:
        raise ActionError(
            f"Content warnings can be at most {MAX_SPOILER_LENGTH} characters.", status=422, field="spoiler_text"
        )
    if not text and not allow_empty:
        raise ActionError("Write something first.", status=422, field="text")
    return text, spoiler_text


def screen_post(post):
    """The state a post goes to once screened: the model, the instance's rules, the policy.

    See ``rostra.moderation.screening``: it records a Screening, queues held posts and
    tells authors of rejected ones why; a failing model holds the post, never publishes it.
    """
    from rostra.moderation.screening import screen

    return screen(post)


def _as_id(value):
    """An ID from a form or the API as an integer; 0, found nowhere, when it cannot be one.

    Out of a 64-bit key's range the database would refuse the query rather than find nothing.
    """
    try:
        value = int(value)
    except (TypeError, ValueError):
        return 0
    return value if 0 < value < 2**63 else 0


def _attach_media(author, post, media_ids):
    if not media_ids:
        return []
    limit = InstanceSettings.current().max_media_per_post
    media_ids = list(dict.fromkeys(_as_id(m) for m in media_ids))
    if len(media_ids) > limit:
        raise ActionError(f"A post can have at most {limit} images.", status=422, field="media")
    media = list(Media.objects.filter(pk__in=media_ids, account=author, post__isnull=True))
    if len(media) != len(media_ids):
        raise ActionError("An attached image was not found or is already used.", status=422, field="media")
    order = {m: i for i, m in enumerate(media_ids)}
    for item in media:
        item.post = post
        item.position = order[item.pk]
        item.save(update_fields=["post", "position"])
    return media


def create_post(
    author,
    text="",
    *,
    spoiler_text="",
    sensitive=False,
    visibility=Visibility.PUBLIC,
    in_reply_to=None,
    echo_of=None,
    media_ids=(),
    language="",
    rate_limit=True,
    created_at=None,
    imported=False,
):
    """Write a post, a comment (``in_reply_to``) or an echo (``echo_of``, with or without text).

    ``imported``: a post brought from an archive (with its original ``created_at``); it is
    screened and shown like any other, but nobody is notified and nothing is sent to other
    servers, since it is not news.
    """
    if rate_limit and author.is_local:
        try:
            ratelimit.hit("post", author.pk)
        except ratelimit.RateLimited as exc:
            raise ActionError(str(exc), status=429) from exc
    if visibility not in Visibility.values:
        raise ActionError(f"Unknown visibility {visibility!r}.", status=422, field="visibility")
    if author.is_suspended:
        raise Forbidden("Your account is suspended; see your moderation decisions.")
    if author.limited and visibility in (Visibility.PUBLIC, Visibility.UNLISTED):
        # A moderator limited this account: its posts reach its followers only.
        visibility = Visibility.FOLLOWERS
    if echo_of is not None:
        if echo_of.is_plain_echo:
            echo_of = echo_of.echo_of
        if not can_see(author, echo_of) or echo_of.state != PostState.PUBLISHED:
            raise NotFound("That post is not available.")
        if echo_of.visibility not in (Visibility.PUBLIC, Visibility.UNLISTED):
            raise ActionError("Only public posts can be echoed.", status=422)
        if is_blocked_between(author, echo_of.author):
            raise Forbidden("You cannot echo this post.")
    text, spoiler_text = _validate_text(text, spoiler_text, allow_empty=bool(echo_of) or bool(media_ids))
    if author.is_local and not imported:
        look_up_remote_mentions(text)
    if echo_of is not None and not text:
        existing = Post.objects.filter(author=author, echo_of=echo_of, text="").first()
        if existing is not None:
            return existing
        media_ids = ()
    if in_reply_to is not None and in_reply_to.is_plain_echo:
        # Feeds show a plain echo as the post it echoes; a comment on it answers that post.
        in_reply_to = in_reply_to.echo_of
    if in_reply_to is not None:
        if not can_see(author, in_reply_to) or (
            in_reply_to.state != PostState.PUBLISHED and in_reply_to.author_id != author.pk
        ):
            raise NotFound("The post you are answering is not available.")
        if is_blocked_between(author, in_reply_to.author):
            raise Forbidden("You cannot comment on this post.")
    with transaction.atomic():
        post = Post(
            author=author,
            text=text,
            spoiler_text=spoiler_text,
            sensitive=bool(sensitive or spoiler_text),
            visibility=visibility,
            language=clean_text(language).strip()[:10],
            echo_of=echo_of,
            created_at=created_at or timezone.now(),
        )
        if created_at is not None:
            post.id = _id_for(created_at)
        if in_reply_to is not None:
            post.in_reply_to = in_reply_to
            post.in_reply_to_account_id = in_reply_to.author_id
            post.thread_root_id = in_reply_to.thread_root_id or in_reply_to.pk
        mentioned = _render(post)
        if in_reply_to is not None and in_reply_to.author_id != author.pk:
            # The person answered always sees the answer, whatever its visibility (Mastodon
            # does the same by mentioning them); they are told of it as a comment, not a mention.
            mentioned = [acc for acc in mentioned if acc.pk != in_reply_to.author_id] + [in_reply_to.author]
        if created_at is not None:
            _insert(post, created_at)
        else:
            post.save(force_insert=True)
        Mention.objects.bulk_create([Mention(post=post, account=acc) for acc in mentioned], ignore_conflicts=True)
        media = _attach_media(author, post, media_ids)
        if media:
            Post.objects.filter(pk=post.pk).update(has_media=True)
            post.has_media = True
        post.state = screen_post(post)
        Post.objects.filter(pk=post.pk).update(state=post.state)
        if post.state == PostState.PUBLISHED:
            _on_publish(post, quiet=imported)
    return post


def receive_post(
    author,
    *,
    uri,
    text,
    html,
    spoiler_text="",
    sensitive=False,
    visibility=Visibility.PUBLIC,
    in_reply_to=None,
    echo_of=None,
    mentioned=(),
    created_at=None,
    language="",
    media=(),
    inline=False,
):
    """Store a post from another server, screened like a local one before anyone here sees it.

    ``html`` is the remote content already sanitised and ``text`` its plain text (what
    screening, search and hashtags read); ``media`` is (url, description, width, height,
    blurhash) per image, copied here later by a task. The same ``uri`` twice is one post.
    ``inline``: called from a task worker; fan-out runs there after the commit (``_on_publish``).
    """
    existing = Post.objects.filter(uri=uri).select_related("author").first()
    if existing is not None:
        return existing
    now = timezone.now()
    created_at = min(created_at or now, now)
    if in_reply_to is not None and in_reply_to.is_plain_echo:
        in_reply_to = in_reply_to.echo_of
    with transaction.atomic():
        post = Post(
            id=_id_for(created_at),
            author=author,
            uri=uri,
            text=clean_text(text),
            html=html,
            spoiler_text=clean_text(spoiler_text)[:MAX_SPOILER_LENGTH],
            sensitive=bool(sensitive or spoiler_text),
            visibility=visibility,
            language=clean_text(language).strip()[:10],
            echo_of=echo_of,
            created_at=created_at,
        )
        if in_reply_to is not None:
            post.in_reply_to = in_reply_to
            post.in_reply_to_account_id = in_reply_to.author_id
            post.thread_root_id = in_reply_to.thread_root_id or in_reply_to.pk
        _insert(post, created_at)
        people = {acc.pk: acc for acc in mentioned}
        if in_reply_to is not None and in_reply_to.author.is_local:
            people[in_reply_to.author_id] = in_reply_to.author
        Mention.objects.bulk_create([Mention(post=post, account=acc) for acc in people.values()], ignore_conflicts=True)
        items = [
            Media(
                account=author, post=post, position=i, remote_url=url, description=clean_text(description)[:1500],
                width=width or 0, height=height or 0, blurhash=(blurhash or "")[:100],
            )
            for i, (url, description, width, height, blurhash) in enumerate(media)
        ]
        if items:
            Media.objects.bulk_create(items)
            post.has_media = True
            Post.objects.filter(pk=post.pk).update(has_media=True)
            from .tasks import fetch_remote_media

            for item in items:
                enqueue_on_commit(fetch_remote_media, item.pk)
        post.state = screen_post(post) if (text or spoiler_text) else PostState.PUBLISHED
        Post.objects.filter(pk=post.pk).update(state=post.state)
        if post.state == PostState.PUBLISHED:
            _on_publish(post, inline=inline)
    return post


def edit_received_post(post, *, text, html, spoiler_text="", sensitive=False, edited_at=None):
    """A remote author changed their post: keep the old version, screen the new one."""
    if text == post.text and spoiler_text == post.spoiler_text and bool(sensitive) == post.sensitive:
        return post
    with transaction.atomic():
        post = Post.objects.select_for_update().select_related("author").get(pk=post.pk)
        PostEdit.objects.create(
            post=post, text=post.text, spoiler_text=post.spoiler_text, sensitive=post.sensitive,
            created_at=post.edited_at or post.created_at,
        )
        post.text = clean_text(text)
        post.html = html
        post.spoiler_text = clean_text(spoiler_text)[:MAX_SPOILER_LENGTH]
        post.sensitive = bool(sensitive or spoiler_text)
        post.edited_at = min(edited_at or timezone.now(), timezone.now())
        was_published = post.state == PostState.PUBLISHED
        new_state = screen_post(post)
        if not was_published and new_state == PostState.PUBLISHED:
            new_state = post.state
        post.state = new_state
        post.save()
        _sync_hashtags(post)
        if post.state == PostState.PUBLISHED:
            search.index_post(post)
        else:
            search.unindex_posts([post.pk])
    return post


def _sync_hashtags(post):
    PostHashtag.objects.filter(post=post).delete()
    names = extract_hashtags(post.text)[:30]
    if not names or post.state != PostState.PUBLISHED:
        return
    existing = {h.name: h for h in Hashtag.objects.filter(name__in=names)}
    missing = [Hashtag(name=n) for n in names if n not in existing]
    if missing:
        Hashtag.objects.bulk_create(missing, ignore_conflicts=True)
        existing = {h.name: h for h in Hashtag.objects.filter(name__in=names)}
    public = post.visibility == Visibility.PUBLIC
    PostHashtag.objects.bulk_create(
        [PostHashtag(hashtag=existing[n], post=post, author_id=post.author_id, public=public) for n in names],
        ignore_conflicts=True,
    )


def _on_publish(post, quiet=False, inline=False):
    """Everything that follows from a post becoming visible: counters, tags, search, fan-out.

    ``quiet`` (an imported post): no notifications, no delivery to other servers.
    ``inline``: the caller already runs on a task worker (a post received from another
    server), so fan-out and notifications run right after the commit, in that worker, rather
    than as two more tasks: each task costs a queue round trip, which was a fifth of the
    worker's time per received post (bench/notes.md).
    """
    from rostra.timelines import tasks as timeline_tasks
    from rostra.timelines.models import FeedEntry

    if quiet:
        # An imported post is old news: it counts, but does not make the author "active now".
        Account.objects.filter(pk=post.author_id).update(posts_count=F("posts_count") + 1)
    else:
        Account.objects.filter(pk=post.author_id).update(posts_count=F("posts_count") + 1, last_post_at=post.created_at)
    if post.in_reply_to_id:
        _counter(Post, post.in_reply_to_id, "replies_count", 1)
    if post.echo_of_id:
        _counter(Post, post.echo_of_id, "echoes_count", 1)
    _sync_hashtags(post)
    search.index_post(post)
    already_there = post.is_plain_echo and FeedEntry.objects.filter(account_id=post.author_id, post_id=post.echo_of_id).exists()
    if post.author.is_local and not already_there:
        # The author sees their own post at once; everyone else's copy comes from the worker.
        # A plain echo of a post already in the author's feed would only show it twice.
        FeedEntry.objects.get_or_create(account_id=post.author_id, post_id=post.pk, defaults={"author_id": post.author_id})
    if inline:
        pk = post.pk
        transaction.on_commit(lambda: (timeline_tasks.fan_out_post.call(pk), timeline_tasks.notify_post.call(pk)))
        return
    enqueue_on_commit(timeline_tasks.fan_out_post, post.pk)
    if quiet:
        return
    enqueue_on_commit(timeline_tasks.notify_post, post.pk)
    from rostra.federation import outbox

    outbox.post_published(post)


def publish(post):
    """Move a pending or held post to published (a moderator's approval, in trust and safety)."""
    with transaction.atomic():
        updated = Post.objects.filter(pk=post.pk).exclude(state=PostState.PUBLISHED).update(state=PostState.PUBLISHED)
        if updated:
            post.state = PostState.PUBLISHED
            _on_publish(post)
    return post


def unpublish(post, state=PostState.HELD):
    """Take a published post out of sight without deleting it (kept for a police referral).

    The reverse of ``_on_publish`` for what others see: feeds, hashtags, search, counters.
    """
    from rostra.federation import outbox
    from rostra.timelines.models import FeedEntry

    with transaction.atomic():
        current = Post.objects.filter(pk=post.pk).select_related("author", "echo_of", "echo_of__author").first()
        if current is not None and current.state == PostState.PUBLISHED:
            # Copies on other servers go too; they come back with a Create if it is approved.
            outbox.post_withdrawn(current)
        updated = Post.objects.filter(pk=post.pk, state=PostState.PUBLISHED).update(state=state)
        if not updated:
            Post.objects.filter(pk=post.pk).update(state=state)
            post.state = state
            return post
        post.state = state
        _counter(Account, post.author_id, "posts_count", -1)
        if post.in_reply_to_id:
            _counter(Post, post.in_reply_to_id, "replies_count", -1)
        if post.echo_of_id:
            _counter(Post, post.echo_of_id, "echoes_count", -1)
        PostHashtag.objects.filter(post=post).delete()
        search.unindex_posts([post.pk])
        FeedEntry.objects.filter(post_id=post.pk).exclude(account_id=post.author_id).delete()
    return post


def edit_post(actor, post, text, *, spoiler_text=None, sensitive=None):
    """Change a post's words; the earlier version is kept in its history."""
    if post.author_id != actor.pk:
        raise Forbidden("Only the author can edit a post.")
    if post.is_plain_echo:
        raise ActionError("An echo without words of its own cannot be edited.", status=422)
    spoiler_text = post.spoiler_text if spoiler_text is None else spoiler_text
    text, spoiler_text = _validate_text(text, spoiler_text, allow_empty=post.has_media or post.is_echo)
    sensitive = post.sensitive if sensitive is None else sensitive
    if text == post.text and spoiler_text == post.spoiler_text and bool(sensitive) == post.sensitive:
        return post
    look_up_remote_mentions(text)
    with transaction.atomic():
        post = Post.objects.select_for_update().get(pk=post.pk)
        PostEdit.objects.create(
            post=post,
            text=post.text,
            spoiler_text=post.spoiler_text,
            sensitive=post.sensitive,
            created_at=post.edited_at or post.created_at,
        )
        post.text = text
        post.spoiler_text = spoiler_text
        post.sensitive = bool(sensitive or spoiler_text)
        post.edited_at = timezone.now()
        mentioned = _render(post)
        was_published = post.state == PostState.PUBLISHED
        new_state = screen_post(post)
        if not was_published and new_state == PostState.PUBLISHED:
            # Editing a held or rejected post does not release it: a moderator (or an appeal) does.
            new_state = post.state
        post.state = new_state
        post.save()
        existing = set(Mention.objects.filter(post=post).values_list("account_id", flat=True))
        added = [acc for acc in mentioned if acc.pk not in existing]
        Mention.objects.bulk_create([Mention(post=post, account=acc) for acc in added], ignore_conflicts=True)
        if added and post.state == PostState.PUBLISHED:
            from rostra.timelines import tasks as timeline_tasks

            enqueue_on_commit(timeline_tasks.reach_new_mentions, post.pk, [acc.pk for acc in added])
        from rostra.federation import outbox

        if was_published and post.state == PostState.PUBLISHED:
            outbox.post_edited(post)
        elif was_published:
            post.state = PostState.PUBLISHED
            outbox.post_withdrawn(post)
            post.state = new_state
        _sync_hashtags(post)
        if post.state == PostState.PUBLISHED:
            search.index_post(post)
        else:
            search.unindex_posts([post.pk])
    return post


def echoes_going_with(post_ids):
    """(id, author_id, state) of every post that ``echo_of``'s cascade deletes with these.

    Echoes go with the post they echo, and echoes of those echoes go with them, at any
    depth; whoever deletes must clean up after all of them, not only the first level.
    """
    found, frontier = [], list(post_ids)
    while frontier:
        rows = list(Post.objects.filter(echo_of_id__in=frontier).values_list("id", "author_id", "state"))
        found.extend(rows)
        frontier = [pk for pk, _, _ in rows]
    return found


def delete_post(actor, post):
    """Delete a post for real: its rows, its place in every feed, its files, its index entry.

    ``actor`` is the author or a moderator (an Account whose user has the role).
    """
    user = getattr(actor, "user", None)
    if post.author_id != actor.pk and not (user is not None and user.is_moderator):
        raise Forbidden("Only the author can delete a post.")
    from rostra.moderation.queries import under_police_referral

    if under_police_referral(post.pk):
        raise Forbidden("This post is kept for a law-enforcement referral and cannot be deleted now.")
    with transaction.atomic():
        post = Post.objects.filter(pk=post.pk).select_related("author").first()
        if post is None:
            return
        published = post.state == PostState.PUBLISHED
        from rostra.federation import outbox

        outbox.post_withdrawn(post)
        echoes = echoes_going_with([post.pk])
        gone = [post.pk] + [pk for pk, _, _ in echoes]
        files = [f for m in Media.objects.filter(post_id__in=gone) for f in (m.file, m.thumbnail) if f]
        for _, author_id, state in echoes:
            if state == PostState.PUBLISHED:
                _counter(Account, author_id, "posts_count", -1)
        search.unindex_posts(gone)
        if published:
            _counter(Account, post.author_id, "posts_count", -1)
            if post.in_reply_to_id:
                _counter(Post, post.in_reply_to_id, "replies_count", -1)
            if post.echo_of_id:
                _counter(Post, post.echo_of_id, "echoes_count", -1)
        post.delete()
        transaction.on_commit(lambda: [f.storage.delete(f.name) for f in files])


def echo(account, post, text="", visibility=Visibility.PUBLIC):
    """Echo a post to one's followers, with or without a comment of one's own."""
    return create_post(account, text, echo_of=post, visibility=visibility)


def unecho(account, post):
    """Take back a plain echo."""
    target = post.echo_of if post.is_plain_echo else post
    for mine in Post.objects.filter(author=account, echo_of=target, text=""):
        delete_post(account, mine)


def vote(account, post):
    """Vote for a post; its author is told."""
    from rostra.timelines import tasks as timeline_tasks
    from rostra.timelines.models import Notification

    if post.is_plain_echo:
        post = post.echo_of
    if not can_see(account, post) or post.state != PostState.PUBLISHED:
        raise NotFound("That post is not available.")
    with transaction.atomic():
        _, created = Vote.objects.get_or_create(account=account, post=post)
        if created:
            from rostra.federation import outbox

            if account.is_local:
                outbox.voted(account, post)
            _counter(Post, post.pk, "votes_count", 1)
            if post.author_id != account.pk:
                enqueue_on_commit(timeline_tasks.notify, post.author_id, account.pk, Notification.Kind.VOTE, post.pk)
    return post


def unvote(account, post):
    if post.is_plain_echo:
        post = post.echo_of
    with transaction.atomic():
        deleted, _ = Vote.objects.filter(account=account, post=post).delete()
        if deleted:
            from rostra.federation import outbox

            if account.is_local:
                outbox.voted(account, post, undone=True)
            _counter(Post, post.pk, "votes_count", -1)
    return post


def bookmark(account, post):
    if post.is_plain_echo:
        post = post.echo_of
    if not can_see(account, post):
        raise NotFound("That post is not available.")
    Bookmark.objects.get_or_create(account=account, post=post)
    return post


def unbookmark(account, post):
    if post.is_plain_echo:
        post = post.echo_of
    Bookmark.objects.filter(account=account, post=post).delete()
    return post


def upload_media(account, upload, description=""):
    """Store an image for a post to come: metadata stripped and resized now, thumbnail later."""
    from . import media as media_lib
    from .tasks import process_media

    description = clean_text(description).strip()
    if len(description) > 1500:
        raise ActionError("Image descriptions are at most 1,500 characters.", status=422, field="description")
    data, ext, width, height = media_lib.strip_and_resize(upload)
    item = Media(account=account, description=description, width=width, height=height)
    item.file.save(f"{uuid.uuid4().hex}.{ext}", ContentFile(data), save=False)
    item.save(force_insert=True)
    enqueue_on_commit(process_media, item.pk)
    return item


def describe_media(account, media_id, description):
    try:
        media_id = int(media_id)
    except (TypeError, ValueError):
        raise NotFound("No such image.") from None
    item = Media.objects.filter(pk=media_id, account=account).first()
    if item is None:
        raise NotFound("No such image.")
    description = clean_text(description).strip()
    if len(description) > 1500:
        raise ActionError("Image descriptions are at most 1,500 characters.", status=422, field="description")
    item.description = description
    item.save(update_fields=["description"])
    return item


def discard_media(account, media_ids):
    """Delete uploads that never made it into a post (the post was refused), files too."""
    items = list(Media.objects.filter(pk__in=list(media_ids), account=account, post__isnull=True))
    files = [f for m in items for f in (m.file, m.thumbnail) if f]
    Media.objects.filter(pk__in=[m.pk for m in items]).delete()
    transaction.on_commit(lambda: [f.storage.delete(f.name) for f in files])
