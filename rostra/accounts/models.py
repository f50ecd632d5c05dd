"""People: the login (User), the public profile (Account) and the ties between accounts.

A User is someone who can sign in here; an Account is a profile that posts and is followed.
Every local User has one Account. Remote accounts (federation) are Accounts with a domain and
no User, so feeds, follows and posts treat local and remote people alike.
"""

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models.functions import Lower

from rostra.core.fields import SnowflakeField


class User(AbstractUser):
    """Someone who can sign in. The username is the same as the Account's."""

    class Role(models.TextChoices):
        USER = "user", "User"
        MODERATOR = "moderator", "Moderator"
        ADMIN = "admin", "Admin"

    id = SnowflakeField()
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.USER)

    objects = UserManager()

    class Meta:
        constraints = [models.UniqueConstraint(Lower("username"), name="user_username_ci_unique")]

    @property
    def is_moderator(self):
        return self.role in (self.Role.MODERATOR, self.Role.ADMIN) or self.is_superuser


class Account(models.Model):
    """A public profile: the author of posts, the thing people follow."""

    id = SnowflakeField()
    user = models.OneToOneField(User, null=True, blank=True, on_delete=models.CASCADE, related_name="account")
    username = models.CharField(max_length=30)
    domain = models.CharField(max_length=255, null=True, blank=True, help_text="Empty for local accounts.")
    uri = models.CharField(max_length=500, blank=True, default="")
    display_name = models.CharField(max_length=60, blank=True, default="")
    bio = models.TextField(blank=True, default="", max_length=500)
    bio_html = models.TextField(blank=True, default="")
    links = models.JSONField(default=list, blank=True, help_text="Up to four [label, url] pairs.")
    avatar = models.ImageField(upload_to="avatars/", blank=True, default="")
    header = models.ImageField(upload_to="headers/", blank=True, default="")
    locked = models.BooleanField(default=False, help_text="Follow requests must be approved.")
    verified = models.BooleanField(default=False)
    public_figure = models.BooleanField(default=False)
    parody = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    followers_count = models.PositiveIntegerField(default=0)
    following_count = models.PositiveIntegerField(default=0)
    posts_count = models.PositiveIntegerField(default=0)
    last_post_at = models.DateTimeField(null=True, blank=True)
    notifications_seen_id = models.BigIntegerField(default=0)
    # Set only by moderation decisions (rostra.moderation.actions).
    limited = models.BooleanField(default=False, help_text="Posts reach followers only.")
    suspended_until = models.DateTimeField(null=True, blank=True, help_text="No signing in or posting until then.")
    strikes = models.PositiveSmallIntegerField(default=0)
    # Set when the account moved to another one (ActivityPub Move); its followers went along.
    moved_to = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        indexes = [
            # Remote accounts are found by their ActivityPub id.
            models.Index(fields=["uri"], name="account_uri_idx", condition=models.Q(domain__isnull=False)),
        ]
        constraints = [
            models.UniqueConstraint(
                Lower("username"), models.F("domain"), name="account_username_domain_ci_unique"
            ),
            models.UniqueConstraint(
                Lower("username"),
                condition=models.Q(domain__isnull=True),
                name="account_local_username_ci_unique",
            ),
        ]

    def __str__(self):
        return self.handle

    @property
    def is_local(self):
        return self.domain is None

    @property
    def handle(self):
        return f"@{self.username}" if self.is_local else f"@{self.username}@{self.domain}"

    @property
    def name(self):
        return self.display_name or self.username

    @property
    def url(self):
        return f"/@{self.username}" if self.is_local else f"/@{self.username}@{self.domain}"

    @property
    def is_suspended(self):
        from django.utils import timezone

        return self.suspended_until is not None and self.suspended_until > timezone.now()

    @property
    def badges(self):
        """The badges an admin gave this account, in the order they are shown."""
        return [
            label
            for label, flag in (
                ("verified", self.verified),
                ("public figure", self.public_figure),
                ("parody", self.parody),
            )
            if flag
        ]


class Follow(models.Model):
    """``follower`` sees ``target``'s posts in their home feed."""

    follower = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="following_set")
    target = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="follower_set")
    created_at = models.DateTimeField(auto_now_add=True)
    uri = models.CharField(max_length=500, blank=True, default="", help_text="The Follow activity's id, when federated.")
    # The follower lives on another server: "does anyone elsewhere follow X" is one index probe.
    remote = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["follower", "target"], name="follow_unique")]
        indexes = [
            models.Index(fields=["target", "follower"], name="follow_target_idx"),
            models.Index(fields=["target"], name="follow_remote_idx", condition=models.Q(remote=True)),
        ]


class FollowRequest(models.Model):
    """A request to follow a locked account, waiting for its owner's answer."""

    id = SnowflakeField()
    follower = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="outgoing_requests")
    target = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="incoming_requests")
    created_at = models.DateTimeField(auto_now_add=True)
    uri = models.CharField(max_length=500, blank=True, default="", help_text="The Follow activity's id, when federated.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["follower", "target"], name="follow_request_unique")]


class Block(models.Model):
    """``account`` and ``target`` see nothing of each other; follows between them are gone."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="blocks")
    target = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="blocked_by")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "target"], name="block_unique")]
        indexes = [models.Index(fields=["target", "account"], name="block_target_idx")]


class Mute(models.Model):
    """``account`` no longer sees ``target``'s posts; ``target`` is not told."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="mutes")
    target = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="muted_by")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "target"], name="mute_unique")]


class KeywordFilter(models.Model):
    """A muted term: posts and comments containing it are hidden from the account."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="keyword_filters")
    phrase = models.CharField(max_length=100)
    whole_word = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "phrase"], name="keyword_filter_unique")]


class ArchiveImport(models.Model):
    """An import a person started from the settings page, and how it went.

    Thousands of follows mean thousands of look-ups on other servers, so a worker does the
    work (``archive.run_import``) and this row is what the person reads afterwards: the
    counts and the first failures, one line each.
    """

    class Kind(models.TextChoices):
        FOLLOWING = "following", "People you follow"
        BLOCKS = "blocks", "Blocked accounts"
        MUTES = "mutes", "Muted accounts"
        BOOKMARKS = "bookmarks", "Bookmarks"
        LISTS = "lists", "Lists"
        POSTS = "posts", "Posts from a Mastodon archive"

    class State(models.TextChoices):
        QUEUED = "queued", "Waiting"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    id = SnowflakeField()
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="archive_imports")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    file_name = models.CharField(max_length=200, blank=True, default="")
    counts = models.JSONField(default=dict, blank=True, help_text="done, already, failed; or imported, skipped, held.")
    failures = models.JSONField(default=list, blank=True, help_text="The first 50 reasons, one line each.")
    error = models.CharField(max_length=500, blank=True, default="", help_text="Why the whole file was refused.")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["account", "-id"], name="archive_import_account_idx")]


class ImportedPost(models.Model):
    """A post brought from another server's archive, by the id it had there.

    Importing the same archive twice must add nothing. The id is not kept in ``Post.uri``:
    that column finds posts of other servers, and a federated copy of the original (still
    on its old server) must not be mistaken for the imported one, nor the other way round.
    """

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    post = models.ForeignKey("posts.Post", on_delete=models.CASCADE, related_name="+")
    original_id = models.CharField(max_length=500)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "original_id"], name="imported_post_unique")]
