"""Write ``StreamEvent`` rows when a post is deleted or edited.

Receivers of Django's model signals, so the actions that delete and edit posts need not know
that streaming exists. ``pre_delete`` (not ``post_delete``) because a deleted post's mentions
are still there to read; the row is written in the deleting transaction either way, and goes
if that transaction rolls back. Only ``edit_post`` saves an existing post, so an update
``post_save`` is an edit.
"""

import random
from datetime import timedelta

from django.db.models.signals import post_save, pre_delete
from django.dispatch import receiver
from django.utils import timezone

from rostra.core.ids import lowest_id_at

KEEP = timedelta(hours=1)
OPEN = ("public", "unlisted")


def _log(kind, post, mentioned=()):
    from rostra.api.models import StreamEvent

    StreamEvent.objects.create(
        kind=kind, post_id=post.pk, author_id=post.author_id, visibility=post.visibility, mentioned=list(mentioned)
    )
    if random.random() < 0.02:
        StreamEvent.objects.filter(id__lt=lowest_id_at(timezone.now() - KEEP)).delete()


@receiver(pre_delete, sender="posts.Post", dispatch_uid="rostra.streaming.deleted")
def post_deleted(sender, instance, **kwargs):
    mentioned = ()
    if instance.visibility not in OPEN:
        from rostra.posts.models import Mention

        mentioned = Mention.objects.filter(post_id=instance.pk).values_list("account_id", flat=True)
    _log("delete", instance, mentioned)


@receiver(post_save, sender="posts.Post", dispatch_uid="rostra.streaming.edited")
def post_edited(sender, instance, created, raw=False, **kwargs):
    if created or raw:
        return
    _log("edit", instance)
