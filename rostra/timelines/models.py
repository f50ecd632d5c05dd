"""Home feeds, written at post time (fan-out on write), and notifications."""

from django.db import models

from rostra.accounts.models import Account
from rostra.core.fields import SnowflakeField
from rostra.posts.models import Post


class FeedEntry(models.Model):
    """One post in one account's home feed.

    Reading a page of the home feed is one range scan of (account, post_id) plus one batched
    fetch of the posts, whatever the size of the instance.
    """

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+", db_index=False)
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="+")
    author_id = models.BigIntegerField(help_text="The post's author, to drop entries on unfollow or block.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "post"], name="feed_entry_unique")]
        indexes = [models.Index(fields=["account", "author_id"], name="feed_entry_author_idx")]


class Notification(models.Model):
    class Kind(models.TextChoices):
        FOLLOW = "follow", "followed you"
        FOLLOW_REQUEST = "follow_request", "asked to follow you"
        REPLY = "reply", "commented on your post"
        MENTION = "mention", "mentioned you"
        ECHO = "echo", "echoed your post"
        VOTE = "vote", "voted for your post"
        # Written by rostra.moderation.actions; the actor is the recipient themselves.
        DECISION = "decision", "Moderation: a decision about your post or account"
        REPORT_OUTCOME = "report_outcome", "Moderation: a report you made was decided"

    id = SnowflakeField()
    recipient = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="notifications")
    actor = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    post = models.ForeignKey(Post, null=True, blank=True, on_delete=models.CASCADE, related_name="+")

    class Meta:
        indexes = [models.Index(fields=["recipient", "-id"], name="notification_recipient_idx")]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "actor", "kind", "post"], name="notification_unique")
        ]


class Marker(models.Model):
    """Where a person stopped reading a timeline, so their other apps can pick up from there.

    Mastodon's markers: one row per (account, timeline); ``version`` counts the saves so apps
    can tell a newer position from a stale one.
    """

    class Timeline(models.TextChoices):
        HOME = "home", "Home"
        NOTIFICATIONS = "notifications", "Notifications"

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    timeline = models.CharField(max_length=20, choices=Timeline.choices)
    last_read_id = models.BigIntegerField(default=0)
    version = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "timeline"], name="marker_unique")]


class List(models.Model):
    """A person's own selection of the people they follow, read as a separate timeline."""

    class RepliesPolicy(models.TextChoices):
        FOLLOWED = "followed", "Replies to anyone followed"
        LIST = "list", "Replies to members of the list"
        NONE = "none", "No replies"

    id = SnowflakeField()
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="lists")
    title = models.CharField(max_length=100)
    replies_policy = models.CharField(max_length=10, choices=RepliesPolicy.choices, default=RepliesPolicy.LIST)
    exclusive = models.BooleanField(default=False, help_text="Members' posts are left out of the home feed (apps only).")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["account", "id"], name="list_account_idx")]


class ListMember(models.Model):
    """One account on one list."""

    list = models.ForeignKey(List, on_delete=models.CASCADE, related_name="members")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["list", "account"], name="list_member_unique")]
        indexes = [models.Index(fields=["account", "list"], name="list_member_account_idx")]
