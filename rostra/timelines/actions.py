"""Changes a person makes to their own notifications and reading positions.

Kept out of the views so the web pages and the API change these rows the same way: the
unread count the web shows reads ``Account.notifications_seen_id``, which a notifications
marker must move too.
"""

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from rostra.accounts.models import Account
from rostra.core.errors import ActionError, NotFound

from .models import Marker, Notification


def dismiss_notification(account, notification_id):
    """Delete one of the account's notifications; someone else's is 'not found', not 'forbidden'."""
    deleted, _ = Notification.objects.filter(recipient=account, pk=notification_id).delete()
    if not deleted:
        raise NotFound("No such notification.")


def clear_notifications(account):
    """Delete every notification the account has."""
    Notification.objects.filter(recipient=account).delete()


def save_marker(account, timeline, last_read_id):
    """Remember where the account stopped reading ``timeline``; returns the Marker.

    Each save bumps ``version``. The notifications marker also moves the web's read position,
    so the unread count is the same in the browser and in every app.
    """
    if timeline not in Marker.Timeline.values:
        raise ActionError(f"Unknown timeline {timeline!r}.", status=422)
    if not isinstance(last_read_id, int) or last_read_id < 0:
        raise ActionError("last_read_id must be an ID.", status=422)
    with transaction.atomic():
        marker, created = Marker.objects.get_or_create(
            account=account, timeline=timeline, defaults={"last_read_id": last_read_id, "version": 1}
        )
        if not created:
            Marker.objects.filter(pk=marker.pk).update(
                last_read_id=last_read_id, version=F("version") + 1, updated_at=timezone.now()
            )
            marker.refresh_from_db()
        if timeline == Marker.Timeline.NOTIFICATIONS:
            Account.objects.filter(pk=account.pk).update(notifications_seen_id=last_read_id)
            account.notifications_seen_id = last_read_id
    return marker
