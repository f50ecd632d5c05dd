"""What federation keeps beside the shared tables: actors' keys and inboxes, other servers'
health, domain blocks, and every activity received (so a replay changes nothing)."""

from django.conf import settings
from django.db import models

from rostra.accounts.models import Account
from rostra.core.fields import SnowflakeField


class Actor(models.Model):
    """The ActivityPub side of an account: its key pair (or a remote one's public key) and the
    addresses other servers deliver to. Kept out of ``Account`` so feed pages, which read
    accounts by the dozen, never carry kilobytes of PEM."""

    account = models.OneToOneField(Account, primary_key=True, on_delete=models.CASCADE, related_name="actor")
    kind = models.CharField(max_length=20, default="Person")
    inbox = models.CharField(max_length=500, blank=True, default="")
    shared_inbox = models.CharField(max_length=500, blank=True, default="")
    outbox = models.CharField(max_length=500, blank=True, default="")
    followers = models.CharField(max_length=500, blank=True, default="")
    following = models.CharField(max_length=500, blank=True, default="")
    featured = models.CharField(max_length=500, blank=True, default="")
    url = models.CharField(max_length=500, blank=True, default="", help_text="The profile page, for people.")
    public_key_id = models.CharField(max_length=500, blank=True, default="", db_index=True)
    public_key_pem = models.TextField(blank=True, default="")
    private_key_pem = models.TextField(blank=True, default="", help_text="Local accounts only.")
    also_known_as = models.JSONField(default=list, blank=True, help_text="Other accounts this one says it also is.")
    moved_to_uri = models.CharField(max_length=500, blank=True, default="")
    fetched_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"actor {self.account}"

    @property
    def delivery_inbox(self):
        """Where to deliver to this actor: the server's shared inbox when it has one."""
        return self.shared_inbox or self.inbox


class InstanceKey(models.Model):
    """The key of the instance itself (``/actor``), which signs fetches no person asked for.

    One row. Kept in the database, so a backup restored elsewhere signs with the same key.
    """

    public_key_pem = models.TextField()
    private_key_pem = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)


class Instance(models.Model):
    """Another server, as seen from here: how deliveries to it have been going.

    A server that keeps failing is marked unavailable and skipped until it is heard from again
    (an activity from it, or a successful probe), so a dead host does not fill the queue.
    """

    domain = models.CharField(max_length=255, unique=True)
    software = models.CharField(max_length=100, blank=True, default="")
    first_seen_at = models.DateTimeField(auto_now_add=True)
    failures = models.PositiveIntegerField(default=0, help_text="Failed deliveries in a row.")
    failing_since = models.DateTimeField(null=True, blank=True)
    unavailable = models.BooleanField(default=False)
    last_success_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return self.domain


class DomainBlock(models.Model):
    """A moderation decision about a whole server.

    ``suspend``: nothing from it is accepted, its accounts and posts are removed, nothing is
    sent to it. ``limit``: its posts reach only people here who follow its accounts.
    ``noop``: only the media or report flags apply.
    """

    class Severity(models.TextChoices):
        SUSPEND = "suspend", "Suspend"
        LIMIT = "limit", "Limit"
        NOOP = "noop", "None"

    domain = models.CharField(max_length=255, unique=True)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.SUSPEND)
    reject_media = models.BooleanField(default=False)
    reject_reports = models.BooleanField(default=False)
    obfuscate = models.BooleanField(default=False, help_text="Show the domain partly hidden in public lists.")
    public_comment = models.CharField(max_length=500, blank=True, default="")
    private_comment = models.CharField(max_length=500, blank=True, default="")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["domain"]

    def __str__(self):
        return f"{self.domain} ({self.severity})"


class ReceivedActivity(models.Model):
    """An activity that reached an inbox, kept by its id: the same activity twice is one."""

    class State(models.TextChoices):
        PENDING = "pending", "Waiting"
        DONE = "done", "Processed"
        IGNORED = "ignored", "Ignored"
        REFUSED = "refused", "Refused (signature)"
        FAILED = "failed", "Failed"

    id = SnowflakeField()
    activity_id = models.CharField(max_length=500, unique=True)
    actor_uri = models.CharField(max_length=500)
    type = models.CharField(max_length=40)
    body = models.JSONField(default=dict, help_text="Emptied once processed.")
    signature = models.JSONField(
        default=dict, blank=True, help_text="Signed headers still to check (a first-time sender's key); emptied once checked."
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    error = models.TextField(blank=True, default="")
    received_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.type} {self.activity_id}"
