"""Putting subjects in the moderation queue: severity, reach, priority and the clock.

One open item per subject (a post, or an account reported as a whole); more reports on the
same subject raise its severity and bring its due time forward but never add a second item.
"""

import math

from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import (
    SEVERITY_HIGH,
    SEVERITY_LIFE,
    SEVERITY_LOW,
    SEVERITY_MEDIUM,
    ModerationSettings,
    QueueItem,
)

CATEGORY_SEVERITY = {
    "violence": SEVERITY_HIGH,
    "hate": SEVERITY_HIGH,
    "illegal": SEVERITY_HIGH,
    "harassment": SEVERITY_MEDIUM,
    "toxicity": SEVERITY_LOW,
    "spam": SEVERITY_LOW,
    "other": SEVERITY_LOW,
}


def severity_for(category, violence_score=0.0, life_threshold=None):
    """A threat of violence the model is confident about is a possible threat to life."""
    if category == "violence":
        if life_threshold is None:
            from rostra.moderation.policy import default_thresholds

            life_threshold = default_thresholds()["violence"]
        return SEVERITY_LIFE if violence_score >= life_threshold else SEVERITY_HIGH
    return CATEGORY_SEVERITY.get(category, SEVERITY_LOW)


def reach_of(post=None, account=None):
    """How many people the subject can reach: the author's followers, the post's echoes and votes."""
    from rostra.accounts.models import Account
    from rostra.posts.models import Post

    # Read from the table: the objects callers hold may predate the latest follows and votes.
    followers = Account.objects.filter(pk=account.pk).values_list("followers_count", flat=True).first() or 0 if account else 0
    if post is not None:
        echoes, votes = Post.objects.filter(pk=post.pk).values_list("echoes_count", "votes_count").first() or (0, 0)
        return followers + echoes + votes
    return followers


def priority_for(severity, reach):
    """Severity dominates; reach counts on a log scale (doubling the audience adds one step)."""
    return severity * 100 + min(99, int(math.log2(reach + 1)))


def enqueue(kind, *, post=None, account=None, category="", severity=SEVERITY_LOW, top_score=0.0):
    """The open QueueItem for this subject, created or raised to the new severity."""
    with transaction.atomic():
        return _enqueue(kind, post, account, category, severity, top_score)


def _enqueue(kind, post, account, category, severity, top_score):
    if post is not None and account is None:
        account = post.author
    reach = reach_of(post, account)
    now = timezone.now()
    due = now + ModerationSettings.current().target(severity)
    subject = {"post_id": post.pk} if post is not None else {"post_id": None, "account": account}
    for _ in range(3):
        item = QueueItem.objects.select_for_update().filter(status=QueueItem.Status.OPEN, **subject).first()
        if item is None:
            try:
                with transaction.atomic():
                    return QueueItem.objects.create(
                        kind=kind,
                        post_id=post.pk if post is not None else None,
                        account=account,
                        severity=severity,
                        category=category,
                        top_score=top_score,
                        reach=reach,
                        priority=priority_for(severity, reach),
                        created_at=now,
                        due_at=due,
                    )
            except IntegrityError:  # another process opened it a moment ago: update that one
                continue
        if severity > item.severity:
            item.severity, item.category = severity, category or item.category
        item.top_score = max(item.top_score, top_score)
        item.reach = reach
        item.priority = priority_for(item.severity, reach)
        item.due_at = min(item.due_at, item.created_at + ModerationSettings.current().target(item.severity))
        item.save(update_fields=["severity", "category", "top_score", "reach", "priority", "due_at"])
        return item
    raise RuntimeError("could not open a queue item")  # pragma: no cover
