"""What other servers are told when something changes here.

The actions in ``accounts``, ``posts`` and ``moderation`` call these functions inside their
transactions; each decides quickly whether anyone elsewhere needs to know and, if so,
enqueues the work for after the commit. Building the activity and finding the inboxes happen
in the delivery queue's worker, except where the rows they need are about to be deleted.
"""

from django.conf import settings

from rostra.accounts.models import Account, Follow
from rostra.core.tasks import enqueue_on_commit

from . import render, uris


def enabled():
    return settings.ROSTRA_FEDERATION


def has_remote_followers(account):
    return Follow.objects.filter(target_id=account.pk, remote=True).exists()


def _remote(account):
    return account is not None and not account.is_local


def _post_has_remote_audience(post):
    from rostra.posts.models import Mention

    if has_remote_followers(post.author):
        return True
    if post.in_reply_to_account_id and Account.objects.filter(pk=post.in_reply_to_account_id, domain__isnull=False).exists():
        return True
    if post.echo_of_id and _remote(post.echo_of.author):
        return True
    return Mention.objects.filter(post_id=post.pk, account__domain__isnull=False).exists()


def post_published(post):
    """A local post became visible: Create (or Announce, for a plain echo) to whoever follows."""
    from . import tasks

    if enabled() and post.author.is_local and _post_has_remote_audience(post):
        enqueue_on_commit(tasks.send_post, post.pk)


def post_edited(post):
    from . import tasks

    if enabled() and post.author.is_local and post.state == "published" and _post_has_remote_audience(post):
        enqueue_on_commit(tasks.send_post_update, post.pk)


def post_withdrawn(post):
    """A local post is deleted or taken out of sight: Delete (or Undo Announce) to every
    server that may hold a copy. Worked out now, while the post's rows still exist."""
    from . import tasks

    if not enabled() or not post.author.is_local or post.state != "published" or not _post_has_remote_audience(post):
        return
    inboxes = tasks.post_inboxes(post)
    if post.is_plain_echo:
        activity = render.undo(render.announce(post, uris.post(post.echo_of)))
    else:
        to, cc = render.addressing(post)
        activity = render.delete_note(uris.post(post), uris.actor(post.author), to, cc)
    enqueue_on_commit(tasks.distribute, activity, post.author_id, sorted(inboxes))


def _send(account, activity, to):
    """Deliver ``activity`` from a local ``account`` to the remote accounts in ``to``."""
    from . import tasks

    remote = [a.pk for a in to if _remote(a)]
    if enabled() and account.is_local and remote:
        enqueue_on_commit(tasks.send_to_accounts, activity, account.pk, remote)


def follow_requested(follower, target, request_uri):
    _send(follower, render.simple("Follow", request_uri, uris.actor(follower), uris.actor(target)), [target])


def follow_undone(follower, target, follow_uri):
    follow = render.simple("Follow", follow_uri or uris.activity(follower, "follows", target.pk), uris.actor(follower), uris.actor(target))
    _send(follower, render.undo(follow), [target])


def follow_answered(owner, follower, follow_uri, accepted):
    """Accept or Reject a remote account's Follow of a local one."""
    follow = {"id": follow_uri, "type": "Follow", "actor": uris.actor(follower), "object": uris.actor(owner)}
    kind = "Accept" if accepted else "Reject"
    activity = render.simple(kind, uris.activity(owner, kind.lower() + "s", follower.pk), uris.actor(owner), follow)
    _send(owner, activity, [follower])


def voted(account, post, undone=False):
    if not _remote(post.author):
        return
    like = render.simple("Like", uris.activity(account, "likes", post.pk), uris.actor(account), uris.post(post))
    _send(account, render.undo(like) if undone else like, [post.author])


def blocked(account, target, undone=False):
    block = render.simple("Block", uris.activity(account, "blocks", target.pk), uris.actor(account), uris.actor(target))
    _send(account, render.undo(block) if undone else block, [target])


def profile_updated(account):
    from . import tasks

    if enabled() and account.is_local and has_remote_followers(account):
        enqueue_on_commit(tasks.send_profile_update, account.pk)


def account_deleted(account):
    """Tell every server that knows the account: its followers' and those it follows. Worked out
    before the rows go."""
    from . import tasks

    if not enabled() or not account.is_local:
        return
    from .keys import local_actor

    inboxes = set(tasks.follower_inboxes(account.pk))
    inboxes.update(tasks.inboxes_of(Follow.objects.filter(follower_id=account.pk).values_list("target_id", flat=True)))
    if not inboxes:
        return
    activity = render.delete_actor(uris.actor(account))
    # The deleted account's key must still sign its Delete: the worker gets it in the task.
    key = (uris.key_id(account), local_actor(account).private_key_pem)
    enqueue_on_commit(tasks.distribute_signed, activity, list(key), sorted(inboxes))


def moved(account, target):
    """Move: followers elsewhere re-follow ``target``; sent to every remote follower."""
    from . import tasks

    if not enabled() or not account.is_local:
        return
    activity = render.with_context(
        {
            "id": uris.activity(account, "moves", target.pk),
            "type": "Move",
            "actor": uris.actor(account),
            "object": uris.actor(account),
            "target": uris.actor(target),
        }
    )
    enqueue_on_commit(tasks.distribute, activity, account.pk, None)


def report_forwarded(report, reporter_comment, post_uris):
    """Send a Flag about a remote account (and its posts) to its server, as the instance."""
    from . import tasks

    target = report.account
    if not enabled() or target.is_local:
        return
    activity = render.with_context(
        {
            "id": f"{uris.instance_actor()}#flags/{report.pk}",
            "type": "Flag",
            "actor": uris.instance_actor(),
            "content": reporter_comment,
            "object": [uris.actor(target), *post_uris],
        }
    )
    enqueue_on_commit(tasks.send_to_accounts, activity, None, [target.pk])
