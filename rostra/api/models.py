"""What a Mastodon app registration records beyond django-oauth-toolkit's Application."""

from django.db import models
from oauth2_provider.settings import oauth2_settings

from rostra.core.fields import SnowflakeField


class ClientApp(models.Model):
    """The scopes an app registered with (its tokens may ask for these, no more) and its website.

    Mastodon apps register once per server with ``POST /api/v1/apps`` and then use every grant
    type with the same client, so the grant type stored on DOT's Application is not used.
    """

    application = models.OneToOneField(
        oauth2_settings.APPLICATION_MODEL, on_delete=models.CASCADE, related_name="rostra"
    )
    scopes = models.CharField(max_length=1000, default="read")
    website = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)


class StreamEvent(models.Model):
    """A post deleted or edited, kept a little while for the streaming processes to announce.

    New and published posts, home-feed entries and notifications are rows the streaming
    poller can find by their time-ordered IDs; a deletion leaves nothing behind and an edit
    changes no ID, so they are written here (see ``api.streaming.record``). A table rather
    than a Redis channel: it works on a one-box SQLite install, and a row is written in the
    deleting transaction, so an event is announced only if the change really committed.
    Rows older than an hour are of no use to anyone and are removed as new ones come.
    """

    class Kind(models.TextChoices):
        DELETE = "delete"
        EDIT = "edit"

    id = SnowflakeField()
    kind = models.CharField(max_length=10, choices=Kind.choices)
    post_id = models.BigIntegerField()
    author_id = models.BigIntegerField()
    visibility = models.CharField(max_length=10)
    # For a deleted followers-only or direct post: who was mentioned, so they hear of it too.
    mentioned = models.JSONField(default=list, blank=True)


# The receivers that write StreamEvent rows; here so every process that loads the models
# (web server, workers, the CLI) records deletions and edits, without an AppConfig.ready.
from .streaming import record  # noqa: E402,F401
