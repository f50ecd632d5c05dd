"""Posts and everything attached to one: comments, echoes, votes, bookmarks, tags, media, edits.

A comment is a Post with ``in_reply_to`` set; an echo is a Post with ``echo_of`` set (and,
when the echoer added words of their own, a text). Counters live on the post so a feed page
never counts rows.
"""

from django.db import models

from rostra.accounts.models import Account
from rostra.core.fields import SnowflakeField


class Visibility(models.TextChoices):
    PUBLIC = "public", "Public"
    UNLISTED = "unlisted", "Unlisted"
    FOLLOWERS = "followers", "Followers only"
    DIRECT = "direct", "Mentioned people only"


class PostState(models.TextChoices):
    PENDING = "pending", "Waiting for screening"
    PUBLISHED = "published", "Published"
    HELD = "held", "Held for review"
    REJECTED = "rejected", "Rejected"


class Post(models.Model):
    id = SnowflakeField()
    # Foreign keys below without their own index are covered by the composite indexes in Meta.
    author = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="posts", db_index=False)
    text = models.TextField(blank=True, default="", help_text="What the author typed.")
    html = models.TextField(blank=True, default="", help_text="Sanitised HTML built from the text.")
    spoiler_text = models.CharField(max_length=200, blank=True, default="")
    sensitive = models.BooleanField(default=False)
    visibility = models.CharField(max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC)
    state = models.CharField(max_length=10, choices=PostState.choices, default=PostState.PENDING)
    language = models.CharField(max_length=10, blank=True, default="")
    in_reply_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replies", db_index=False
    )
    in_reply_to_account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    thread_root_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    echo_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="echoes", db_index=False
    )
    uri = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField()
    edited_at = models.DateTimeField(null=True, blank=True)
    replies_count = models.PositiveIntegerField(default=0)
    echoes_count = models.PositiveIntegerField(default=0)
    votes_count = models.PositiveIntegerField(default=0)
    has_media = models.BooleanField(default=False)

    class Meta:
        indexes = [
            models.Index(fields=["author", "-id"], name="post_author_idx"),
            models.Index(
                fields=["-id"],
                name="post_discover_idx",
                condition=models.Q(visibility="public", state="published", in_reply_to__isnull=True),
            ),
            # Partial: most posts answer nothing, and statistics over the NULLs once led SQLite
            # to scan this index for a profile's top-level posts (bench/notes.md).
            models.Index(fields=["in_reply_to", "id"], name="post_reply_idx", condition=models.Q(in_reply_to__isnull=False)),
            models.Index(fields=["echo_of", "author"], name="post_echo_idx"),
            # Posts from other servers (and echoes of them) are found by their ActivityPub id.
            models.Index(fields=["uri"], name="post_uri_idx", condition=~models.Q(uri="")),
        ]

    def __str__(self):
        return f"{self.author} {self.id}"

    @property
    def url(self):
        return f"/@{self.author.username}/{self.id}" if self.author.is_local else (self.uri or "#")

    @property
    def is_echo(self):
        return self.echo_of_id is not None

    @property
    def is_plain_echo(self):
        """An echo with no words of its own: shown as the original post."""
        return self.echo_of_id is not None and not self.text


class PostEdit(models.Model):
    """A version of a post as it was before an edit; the history readers can see."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="edits")
    text = models.TextField(blank=True, default="")
    spoiler_text = models.CharField(max_length=200, blank=True, default="")
    sensitive = models.BooleanField(default=False)
    created_at = models.DateTimeField(help_text="When this version was written.")

    class Meta:
        ordering = ["created_at", "id"]


class Vote(models.Model):
    """An upvote (a like): counted on the post, notified to its author."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="votes")
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="votes")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "post"], name="vote_unique")]
        indexes = [models.Index(fields=["post", "account"], name="vote_post_idx")]


class Bookmark(models.Model):
    """A post kept for later; private to the account."""

    id = SnowflakeField()
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="bookmarks")
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="bookmarks")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "post"], name="bookmark_unique")]


class Hashtag(models.Model):
    name = models.CharField(max_length=64, unique=True, help_text="Lower case, without the #.")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"#{self.name}"


class PostHashtag(models.Model):
    """A hashtag used by a post; ``post_id`` order gives the hashtag page's order."""

    hashtag = models.ForeignKey(Hashtag, on_delete=models.CASCADE, related_name="uses")
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="hashtag_uses")
    author_id = models.BigIntegerField()
    public = models.BooleanField(default=True, help_text="Listed on hashtag pages and trends.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["hashtag", "post"], name="post_hashtag_unique")]
        indexes = [models.Index(fields=["hashtag", "-post"], name="post_hashtag_page_idx")]


class Mention(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="mentions")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="mentioned_in")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["post", "account"], name="mention_unique")]
        indexes = [models.Index(fields=["account", "post"], name="mention_account_idx")]


class Media(models.Model):
    """An image attached to a post. Stored only after its metadata (EXIF, GPS) is stripped."""

    class State(models.TextChoices):
        PROCESSING = "processing", "Processing"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    id = SnowflakeField()
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="media")
    post = models.ForeignKey(Post, null=True, blank=True, on_delete=models.CASCADE, related_name="media")
    position = models.PositiveSmallIntegerField(default=0)
    file = models.ImageField(upload_to="media/%Y/%m/", max_length=300)
    thumbnail = models.ImageField(upload_to="media/%Y/%m/", max_length=300, blank=True, default="")
    description = models.CharField(max_length=1500, blank=True, default="", help_text="Alt text.")
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    blurhash = models.CharField(max_length=100, blank=True, default="")
    remote_url = models.CharField(max_length=500, blank=True, default="", help_text="Where a remote post's image lives.")
    state = models.CharField(max_length=12, choices=State.choices, default=State.PROCESSING)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]
