"""Every change to people and the ties between them.

The web views, the API, the CLI and the admin all call these functions; none of them writes
account models directly. Each function checks what it must, writes its rows in one
transaction and enqueues its follow-up work after commit.
"""

import re

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Greatest

from rostra.core import ratelimit
from rostra.core.errors import ActionError, Forbidden
from rostra.core.html import clean_text, render_text
from rostra.core.models import InstanceSettings

from .models import Account, Block, Follow, FollowRequest, KeywordFilter, Mute, User

USERNAME_RE = re.compile(r"^[A-Za-z0-9_]{1,30}$")
RESERVED_USERNAMES = {
    "admin", "administrator", "root", "system", "rostra", "moderator", "moderators", "support",
    "help", "api", "static", "media", "settings", "login", "logout", "signup", "search", "tags",
    "notifications", "discover", "about", "transparency", "well-known", "oauth", "inbox", "outbox",
    "null", "undefined", "everyone", "here",
}
MAX_LINKS = 4


def _counter(model, pk, field, delta):
    """Add ``delta`` to a denormalised counter without a read, never going below zero."""
    model.objects.filter(pk=pk).update(**{field: Greatest(F(field) + delta, 0)})


def validate_username(username, allow_reserved=False):
    username = (username or "").strip()
    if not USERNAME_RE.match(username):
        raise ActionError(
            "Usernames are 1 to 30 letters, digits or underscores.", field="username"
        )
    if username.lower() in RESERVED_USERNAMES and not allow_reserved:
        raise ActionError("That username is reserved.", field="username")
    if User.objects.filter(username__iexact=username).exists() or Account.objects.filter(
        username__iexact=username, domain__isnull=True
    ).exists():
        raise ActionError("That username is taken.", field="username")
    return username


def sign_up(username, password, email="", ip=None, role=User.Role.USER, check_open=True, operator=False):
    """Create a person who can sign in, and their public account.

    ``ip`` is rate-limited so one address cannot mint accounts in bulk. ``operator`` is for
    accounts the operator makes from the command line: reserved names (``admin``) and any
    password are theirs to choose.
    """
    if check_open and not InstanceSettings.current().registrations_open:
        raise ActionError("Sign-ups are closed on this instance.", status=403)
    if ip is not None:
        try:
            ratelimit.hit("signup", ip)
        except ratelimit.RateLimited as exc:
            raise ActionError(str(exc), status=429) from exc
    username = validate_username(username, allow_reserved=operator)
    email = clean_text(email).strip()
    candidate = User(username=username, email=email)
    if not password:
        raise ActionError("Choose a password.", field="password")
    try:
        # A lone surrogate (JSON can carry one) cannot be hashed; refuse it, do not crash.
        password.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ActionError("That password has a character that cannot be used.", field="password") from exc
    if not operator:
        try:
            password_validation.validate_password(password, candidate)
        except ValidationError as exc:
            raise ActionError(" ".join(exc.messages), field="password") from exc
    try:
        with transaction.atomic():
            user = User(username=username, email=email, role=role)
            user.is_staff = role == User.Role.ADMIN
            user.is_superuser = role == User.Role.ADMIN
            user.set_password(password)
            user.save()
            Account.objects.create(user=user, username=username)
    except IntegrityError as exc:
        raise ActionError("That username is taken.", field="username") from exc
    return user


def log_in_allowed(username, ip):
    """Count a log-in attempt; raise ActionError(429) when an address or name tries too often."""
    try:
        ratelimit.hit("login", f"ip:{ip}")
        ratelimit.hit("login", f"user:{(username or '').lower()}")
    except ratelimit.RateLimited as exc:
        raise ActionError(str(exc), status=429) from exc


def _clean_links(links):
    """[label, url] pairs from a form or the API; anything else is refused, not a crash."""
    cleaned = []
    for pair in links or []:
        if not isinstance(pair, (list, tuple)) or len(pair) != 2 or not all(isinstance(p, str) for p in pair):
            raise ActionError("Each link is a label and a web address.", field="links")
        label, url = pair
        label = clean_text(label).strip()[:40]
        url = clean_text(url).strip()[:300]
        if not label and not url:
            continue
        if not re.match(r"^https?://[^\s]+\.[^\s]+$", url):
            raise ActionError(f"“{url[:60]}” is not a web address starting with http:// or https://.", field="links")
        cleaned.append([label or url, url])
    if len(cleaned) > MAX_LINKS:
        raise ActionError(f"At most {MAX_LINKS} links.", field="links")
    return cleaned


def update_profile(account, *, display_name=None, bio=None, links=None, locked=None, avatar=None, header=None):
    """Change what others see on a profile. Images are stripped of metadata and resized."""
    from rostra.posts.media import process_profile_image

    if display_name is not None:
        display_name = clean_text(display_name).strip()
        if len(display_name) > 60:
            raise ActionError("Display names are at most 60 characters.", field="display_name")
        account.display_name = display_name
    if bio is not None:
        bio = clean_text(bio).strip()
        if len(bio) > 500:
            raise ActionError("The bio is at most 500 characters.", field="bio")
        account.bio = bio
        account.bio_html = render_text(bio)
    if links is not None:
        account.links = _clean_links(links)
    unlocking = locked is not None and account.locked and not locked
    if locked is not None:
        account.locked = bool(locked)
    # (storage, name) pairs, not the field files: saving the new image renames the field
    # file in place, so keeping the object would delete the new image instead of the old.
    old_files = []
    if avatar is not None:
        if account.avatar:
            old_files.append((account.avatar.storage, account.avatar.name))
        account.avatar.save(*process_profile_image(avatar, (400, 400), "avatar"), save=False)
    if header is not None:
        if account.header:
            old_files.append((account.header.storage, account.header.name))
        account.header.save(*process_profile_image(header, (1500, 500), "header"), save=False)
    account.save()
    for storage, name in old_files:
        storage.delete(name)
    from rostra.federation import outbox

    outbox.profile_updated(account)
    if unlocking:
        # An account that no longer approves followers lets in everyone who was waiting.
        for request in FollowRequest.objects.filter(target=account).select_related("follower"):
            accept_follow_request(account, request.follower)
    return account


def set_badges(actor, account, *, verified=None, public_figure=None, parody=None):
    """Give or take badges. Only admins may."""
    if not (actor.role == User.Role.ADMIN or actor.is_superuser):
        raise Forbidden("Only admins give badges.")
    for field, value in (("verified", verified), ("public_figure", public_figure), ("parody", parody)):
        if value is not None:
            setattr(account, field, bool(value))
    account.save(update_fields=["verified", "public_figure", "parody"])
    return account


def set_role(actor, user, role):
    """Make someone a moderator or admin, or a plain user again. Only admins may."""
    if not (actor.role == User.Role.ADMIN or actor.is_superuser):
        raise Forbidden("Only admins change roles.")
    if role not in User.Role.values:
        raise ActionError(f"Unknown role {role!r}.")
    user.role = role
    # Both flags follow the role, as at sign-up: a demoted admin keeps no superuser powers.
    user.is_staff = user.is_superuser = role == User.Role.ADMIN
    user.save(update_fields=["role", "is_staff", "is_superuser"])
    return user


def _forget_cached_views(*accounts):
    """Drop what ``posts.queries`` cached on these objects about blocks, mutes and filters.

    The queries keep those sets on the Account object for the length of a request; an
    action that changes them must not leave the caller's objects seeing the old ones (a
    vote right after a block would otherwise pass the visibility check).
    """
    from rostra.posts.queries import forget_relations

    forget_relations(*accounts)


def is_blocked_between(a, b):
    """True when either account blocks the other."""
    return Block.objects.filter(account=a, target=b).exists() or Block.objects.filter(account=b, target=a).exists()


def follow(follower, target, uri=""):
    """Follow ``target``, or ask to. Returns "following" or "requested".

    Asking is needed when the account is locked, and always when it lives on another server:
    there the follow counts once that server Accepts it (``follow_accepted``). ``uri`` is the
    id of a remote follower's Follow activity, kept to answer it.
    """
    from rostra.core.tasks import enqueue_on_commit
    from rostra.federation import outbox, uris
    from rostra.timelines import tasks as timeline_tasks
    from rostra.timelines.models import Notification

    if follower.pk == target.pk:
        raise ActionError("You cannot follow yourself.")
    if is_blocked_between(follower, target):
        raise Forbidden("You cannot follow this account.")
    if Follow.objects.filter(follower=follower, target=target).exists():
        return "following"
    with transaction.atomic():
        if not target.is_local:
            request, created = FollowRequest.objects.get_or_create(follower=follower, target=target)
            if created or not request.uri:
                request.uri = uris.activity(follower, "follows", request.pk)
                request.save(update_fields=["uri"])
            outbox.follow_requested(follower, target, request.uri)
            return "requested"
        if target.locked:
            request, created = FollowRequest.objects.get_or_create(follower=follower, target=target, defaults={"uri": uri})
            if not created and uri and request.uri != uri:
                request.uri = uri
                request.save(update_fields=["uri"])
            if created:
                enqueue_on_commit(
                    timeline_tasks.notify, target.pk, follower.pk, Notification.Kind.FOLLOW_REQUEST
                )
            return "requested"
        _create_follow(follower, target, uri)
    return "following"


def follow_accepted(follower, target):
    """A remote account's server accepted a local account's follow request."""
    with transaction.atomic():
        uri = FollowRequest.objects.filter(follower=follower, target=target).values_list("uri", flat=True).first()
        if uri is None and not Follow.objects.filter(follower=follower, target=target).exists():
            raise ActionError("There is no such follow request.", status=404)
        _create_follow(follower, target, uri or "")


def _end_request(follower, target):
    """Forget a follow request and the notification that asked about it; returns how many went.

    An answered or withdrawn request must not stay in the owner's notifications as a
    question still waiting for an answer.
    """
    from rostra.timelines.models import Notification

    deleted, _ = FollowRequest.objects.filter(follower=follower, target=target).delete()
    if deleted:
        Notification.objects.filter(recipient=target, actor=follower, kind=Notification.Kind.FOLLOW_REQUEST).delete()
    return deleted


def _create_follow(follower, target, uri=""):
    from rostra.core.tasks import enqueue_on_commit
    from rostra.timelines import tasks as timeline_tasks
    from rostra.timelines.models import Notification

    _, created = Follow.objects.get_or_create(
        follower=follower, target=target, defaults={"uri": uri, "remote": not follower.is_local}
    )
    _end_request(follower, target)
    if created:
        _counter(Account, follower.pk, "following_count", 1)
        _counter(Account, target.pk, "followers_count", 1)
        enqueue_on_commit(timeline_tasks.backfill_feed, follower.pk, target.pk)
        enqueue_on_commit(timeline_tasks.notify, target.pk, follower.pk, Notification.Kind.FOLLOW)
    return created


def accept_follow_request(account, follower):
    """The owner of a locked account lets ``follower`` in (and tells their server)."""
    from rostra.federation import outbox

    with transaction.atomic():
        uri = FollowRequest.objects.filter(follower=follower, target=account).values_list("uri", flat=True).first()
        if not _end_request(follower, account):
            raise ActionError("There is no such follow request.", status=404)
        _create_follow(follower, account, uri or "")
        if not follower.is_local:
            outbox.follow_answered(account, follower, uri, accepted=True)


def reject_follow_request(account, follower):
    from rostra.federation import outbox

    with transaction.atomic():
        uri = FollowRequest.objects.filter(follower=follower, target=account).values_list("uri", flat=True).first()
        if not _end_request(follower, account):
            raise ActionError("There is no such follow request.", status=404)
        if not follower.is_local:
            outbox.follow_answered(account, follower, uri, accepted=False)


def _remove_follow(follower, target, notify_remote=True):
    """Undo a follow (or a request) and take the target's posts out of the follower's home feed.

    A local account that followed (or asked to follow) someone elsewhere tells their server.
    """
    from rostra.timelines.models import FeedEntry

    follow_uri = (
        Follow.objects.filter(follower=follower, target=target).values_list("uri", flat=True).first()
        or FollowRequest.objects.filter(follower=follower, target=target).values_list("uri", flat=True).first()
    )
    deleted, _ = Follow.objects.filter(follower=follower, target=target).delete()
    requested = _end_request(follower, target)
    if notify_remote and (deleted or requested) and follower.is_local and not target.is_local:
        from rostra.federation import outbox

        outbox.follow_undone(follower, target, follow_uri)
    if deleted:
        _counter(Account, follower.pk, "following_count", -1)
        _counter(Account, target.pk, "followers_count", -1)
        FeedEntry.objects.filter(account=follower, author_id=target.pk).delete()
        # Lists hold only people their owner follows (as in Mastodon).
        from rostra.timelines.models import ListMember

        ListMember.objects.filter(list__account=follower, account=target).delete()
    return bool(deleted)


def unfollow(follower, target, notify_remote=True):
    with transaction.atomic():
        return _remove_follow(follower, target, notify_remote)


def block(account, target, notify_remote=True):
    """Hide both accounts from each other and end the follows between them.

    Someone elsewhere is told with a Block (as Mastodon does), so their server can hide them
    too; ``notify_remote`` is off when the block itself came from there.
    """
    from rostra.federation import outbox
    from rostra.timelines.models import FeedEntry, Notification

    if account.pk == target.pk:
        raise ActionError("You cannot block yourself.")
    with transaction.atomic():
        _, created = Block.objects.get_or_create(account=account, target=target)
        if created and notify_remote and account.is_local and not target.is_local:
            outbox.blocked(account, target)
        _remove_follow(account, target, notify_remote=False)
        _remove_follow(target, account, notify_remote=False)
        FeedEntry.objects.filter(account=target, author_id=account.pk).delete()
        FeedEntry.objects.filter(account=account, author_id=target.pk).delete()
        Notification.objects.filter(recipient=account, actor=target).delete()
        Notification.objects.filter(recipient=target, actor=account).delete()
    _forget_cached_views(account, target)


def unblock(account, target):
    from rostra.federation import outbox

    deleted, _ = Block.objects.filter(account=account, target=target).delete()
    if deleted and account.is_local and not target.is_local:
        outbox.blocked(account, target, undone=True)
    _forget_cached_views(account, target)


def mute(account, target):
    if account.pk == target.pk:
        raise ActionError("You cannot mute yourself.")
    Mute.objects.get_or_create(account=account, target=target)
    _forget_cached_views(account)


def unmute(account, target):
    Mute.objects.filter(account=account, target=target).delete()
    _forget_cached_views(account)


def move_followers(origin, target):
    """Everyone here who follows ``origin`` follows ``target`` instead (an account moved).

    Returns how many followers moved. Someone who blocks ``target``, or is blocked by it, just
    stops following ``origin``.
    """
    moved = 0
    with transaction.atomic():
        Account.objects.filter(pk=origin.pk).update(moved_to=target)
        followers = list(
            Account.objects.filter(following_set__target=origin, domain__isnull=True).exclude(pk=target.pk)
        )
        for follower in followers:
            _remove_follow(follower, origin, notify_remote=True)
            if not is_blocked_between(follower, target):
                follow(follower, target)
                moved += 1
    return moved


def set_aliases(account, handles):
    """The accounts elsewhere this one says it also is (``alsoKnownAs``): the first step of moving
    an account here from another server, which checks this list before it sends Move."""
    from rostra.federation import resolve
    from rostra.federation.keys import local_actor

    found = []
    for handle in [h.strip() for h in handles if h and h.strip()][:10]:
        try:
            other = resolve.handle(handle.lstrip("@")) if "@" in handle.lstrip("@") else resolve.actor(handle)
        except resolve.NotResolved as exc:
            raise ActionError(f"{handle[:100]}: {exc}", status=422, field="aliases") from exc
        if other.pk == account.pk:
            raise ActionError("An account cannot be an alias of itself.", status=422, field="aliases")
        from rostra.federation import uris

        found.append(uris.actor(other))
    actor = local_actor(account)
    actor.also_known_as = list(dict.fromkeys(found))
    actor.save(update_fields=["also_known_as"])
    return actor.also_known_as


def move_account(account, handle):
    """Move ``account`` to another one (here or elsewhere) that lists it in its aliases.

    Local followers follow the new account at once; followers on other servers are sent a Move
    and their servers do the same. The old account stays, pointing at the new one.
    """
    from rostra.federation import outbox, resolve, uris
    from rostra.federation.keys import local_actor
    from rostra.federation.models import Actor

    try:
        target = resolve.handle(handle.strip().lstrip("@")) if "@" in handle.strip().lstrip("@") else None
        if target is None:
            target = Account.objects.filter(username__iexact=handle.strip().lstrip("@"), domain__isnull=True).first()
            if target is None:
                raise resolve.NotResolved("No such account here.")
        elif not target.is_local:
            target = resolve.actor(target.uri, refresh=True)
    except resolve.NotResolved as exc:
        raise ActionError(f"The new account was not found: {exc}", status=422, field="target") from exc
    if target.pk == account.pk:
        raise ActionError("That is this account.", status=422, field="target")
    aliases = (
        local_actor(target).also_known_as
        if target.is_local
        else Actor.objects.filter(account_id=target.pk).values_list("also_known_as", flat=True).first() or []
    )
    if uris.actor(account) not in aliases:
        raise ActionError(
            f"First add {uris.actor(account)} to the aliases of {target.handle}, then move.", status=422, field="target"
        )
    with transaction.atomic():
        actor = local_actor(account)
        actor.moved_to_uri = uris.actor(target)
        actor.save(update_fields=["moved_to_uri"])
        outbox.moved(account, target)
        moved = move_followers(account, target)
    return target, moved


def add_keyword_filter(account, phrase, whole_word=True):
    """Mute a term: matching posts and comments disappear from this account's view."""
    phrase = clean_text(phrase).strip()
    if not phrase:
        raise ActionError("Type a word or phrase to mute.", field="phrase")
    if len(phrase) > 100:
        raise ActionError("Muted terms are at most 100 characters.", field="phrase")
    if account.keyword_filters.count() >= 200:
        raise ActionError("You can mute at most 200 terms.", field="phrase")
    obj, _ = KeywordFilter.objects.get_or_create(account=account, phrase=phrase, defaults={"whole_word": whole_word})
    _forget_cached_views(account)
    return obj


def remove_keyword_filter(account, filter_id):
    try:
        filter_id = int(filter_id)
    except (TypeError, ValueError):
        raise ActionError("No such muted term.", status=404) from None
    KeywordFilter.objects.filter(account=account, pk=filter_id).delete()
    _forget_cached_views(account)


def delete_account(account):
    """Delete an account and everything it owns, for real: rows and files.

    Counters on other people's posts and profiles are corrected, so no trace of the
    account's votes or follows survives in a number either.
    """
    from rostra.federation import outbox
    from rostra.posts.actions import echoes_going_with
    from rostra.posts.models import Media, Post, PostState, Vote
    from rostra.posts.search import unindex_posts

    with transaction.atomic():
        outbox.account_deleted(account)
        for target_id in Follow.objects.filter(follower=account).values_list("target_id", flat=True):
            _counter(Account, target_id, "followers_count", -1)
        for follower_id in Follow.objects.filter(target=account).values_list("follower_id", flat=True):
            _counter(Account, follower_id, "following_count", -1)
        for post_id in Vote.objects.filter(account=account).values_list("post_id", flat=True):
            _counter(Post, post_id, "votes_count", -1)
        own = Post.objects.filter(author=account)
        for post_id in own.filter(echo_of__isnull=False).exclude(echo_of__author=account).values_list("echo_of_id", flat=True):
            _counter(Post, post_id, "echoes_count", -1)
        for post_id in own.filter(in_reply_to__isnull=False).exclude(in_reply_to__author=account).values_list(
            "in_reply_to_id", flat=True
        ):
            _counter(Post, post_id, "replies_count", -1)
        files = []
        for media in account.media.all():
            files.extend(f for f in (media.file, media.thumbnail) if f)
        files.extend(f for f in (account.avatar, account.header) if f)
        post_ids = list(own.values_list("id", flat=True))
        # Other people's echoes of these posts go with them, and echoes of those at any depth:
        # their authors' counts drop, their pictures leave the disk, their words the index.
        gone_with = echoes_going_with(post_ids)
        others = [pk for pk, author_id, _ in gone_with if author_id != account.pk]
        for _, author_id, state in gone_with:
            if author_id != account.pk and state == PostState.PUBLISHED:
                _counter(Account, author_id, "posts_count", -1)
        for media in Media.objects.filter(post_id__in=others):
            files.extend(f for f in (media.file, media.thumbnail) if f)
        unindex_posts(post_ids + [pk for pk, _, _ in gone_with])
        user = account.user
        account.delete()
        if user is not None:
            user.delete()
        transaction.on_commit(lambda: [f.storage.delete(f.name) for f in files])
