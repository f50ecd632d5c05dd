"""Fan-out and notifications, run by the task worker after the change that caused them commits."""

import random

from django.db.models import Exists, OuterRef
from django_tasks import task

from rostra.accounts.models import Account, Block, Follow, Mute
from rostra.core.models import InstanceSettings
from rostra.posts.models import Mention, Post, PostState, Visibility
from rostra.posts.queries import can_see

from .models import FeedEntry, Notification

BATCH = 1000
BACKFILL = 40


def feed_recipients(post):
    """IDs of local accounts whose home feed gets ``post``: the author, followers, mentioned."""
    recipients = {post.author_id} if post.author.is_local else set()
    mentioned = set(Mention.objects.filter(post=post, account__domain__isnull=True).values_list("account_id", flat=True))
    if post.visibility == Visibility.DIRECT:
        return recipients | mentioned
    followers = Follow.objects.filter(target_id=post.author_id, follower__domain__isnull=True)
    if post.echo_of_id:
        # People who blocked the original's author do not get it through an echo either.
        followers = followers.exclude(
            Exists(Block.objects.filter(account=OuterRef("follower_id"), target_id=post.echo_of.author_id))
        ).exclude(Exists(Block.objects.filter(target=OuterRef("follower_id"), account_id=post.echo_of.author_id)))
    recipients.update(followers.values_list("follower_id", flat=True).iterator(chunk_size=5000))
    if post.visibility == Visibility.FOLLOWERS:
        recipients |= mentioned
    return recipients


@task()
def fan_out_post(post_id):
    """Write a published post into the home feed of everyone who should see it."""
    post = Post.objects.filter(pk=post_id, state=PostState.PUBLISHED).select_related("author", "echo_of").first()
    if post is None:
        return 0
    recipients = list(feed_recipients(post))
    if post.echo_of_id and post.is_plain_echo:
        # An echo of something already in a feed adds nothing there.
        already = set(
            FeedEntry.objects.filter(post_id=post.echo_of_id, account_id__in=recipients).values_list("account_id", flat=True)
        )
        recipients = [r for r in recipients if r not in already]
    for start in range(0, len(recipients), BATCH):
        FeedEntry.objects.bulk_create(
            [FeedEntry(account_id=r, post_id=post.pk, author_id=post.author_id) for r in recipients[start : start + BATCH]],
            ignore_conflicts=True,
        )
    # Trimming every feed on every post would double the writes; a few percent suffices.
    for account_id in random.sample(recipients, min(len(recipients), max(1, len(recipients) // 50))):
        trim_feed(account_id)
    return len(recipients)


def trim_feed(account_id):
    """Keep a home feed at the instance's size: older entries go."""
    size = InstanceSettings.current().home_feed_size
    cutoff = (
        FeedEntry.objects.filter(account_id=account_id).order_by("-post_id").values_list("post_id", flat=True)[size : size + 1]
    )
    cutoff = list(cutoff)
    if cutoff:
        FeedEntry.objects.filter(account_id=account_id, post_id__lte=cutoff[0]).delete()


@task()
def backfill_feed(follower_id, target_id):
    """A new follow brings the followed account's recent posts into the follower's feed."""
    follower = Account.objects.filter(pk=follower_id).first()
    if follower is None or not follower.is_local:
        return 0
    posts = Post.objects.filter(author_id=target_id, state=PostState.PUBLISHED).exclude(visibility=Visibility.DIRECT)
    rows = [
        FeedEntry(account_id=follower_id, post_id=pk, author_id=target_id)
        for pk in posts.order_by("-id").values_list("id", flat=True)[:BACKFILL]
    ]
    FeedEntry.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def _notify(recipient_id, actor_id, kind, post_id=None):
    if recipient_id == actor_id:
        return None
    recipient = Account.objects.filter(pk=recipient_id, domain__isnull=True).first()
    if recipient is None:
        return None
    if Block.objects.filter(account_id=recipient_id, target_id=actor_id).exists() or Block.objects.filter(
        account_id=actor_id, target_id=recipient_id
    ).exists():
        return None
    if kind in (Notification.Kind.VOTE, Notification.Kind.ECHO) and Mute.objects.filter(
        account_id=recipient_id, target_id=actor_id
    ).exists():
        return None
    if post_id is not None:
        post = Post.objects.filter(pk=post_id).first()
        if post is None or not can_see(recipient, post):
            return None
    notification, _ = Notification.objects.get_or_create(
        recipient_id=recipient_id, actor_id=actor_id, kind=kind, post_id=post_id
    )
    return notification


@task()
def notify(recipient_id, actor_id, kind, post_id=None):
    """Tell someone about a follow, a follow request or a vote."""
    _notify(recipient_id, actor_id, kind, post_id)


@task()
def notify_post(post_id):
    """Tell the people a new post concerns: the author replied to, those mentioned, the echoed."""
    post = Post.objects.filter(pk=post_id, state=PostState.PUBLISHED).select_related("echo_of").first()
    if post is None:
        return
    told = set()
    if post.in_reply_to_account_id:
        if _notify(post.in_reply_to_account_id, post.author_id, Notification.Kind.REPLY, post.pk):
            told.add(post.in_reply_to_account_id)
    if post.echo_of_id:
        _notify(post.echo_of.author_id, post.author_id, Notification.Kind.ECHO, post.pk)
    for account_id in Mention.objects.filter(post=post).values_list("account_id", flat=True):
        if account_id not in told:
            _notify(account_id, post.author_id, Notification.Kind.MENTION, post.pk)


@task()
def reach_new_mentions(post_id, account_ids):
    """After an edit names new people: their home feed gets the post and they are told.

    Only the newly mentioned: everyone else already has the post, and was told when it was
    first published.
    """
    post = Post.objects.filter(pk=post_id, state=PostState.PUBLISHED).first()
    if post is None:
        return 0
    local = list(
        Account.objects.filter(pk__in=account_ids, domain__isnull=True).exclude(pk=post.author_id).values_list("pk", flat=True)
    )
    FeedEntry.objects.bulk_create(
        [FeedEntry(account_id=r, post_id=post.pk, author_id=post.author_id) for r in local], ignore_conflicts=True
    )
    told = 0
    for account_id in local:
        if _notify(account_id, post.author_id, Notification.Kind.MENTION, post.pk):
            told += 1
    return told
