"""Background work on posts."""

import logging
import uuid

from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.utils import timezone
from django_tasks import default_task_backend, task

from rostra.core.errors import ActionError
from rostra.core.tasks import enqueue_on_commit

from .media import thumbnail_and_blurhash
from .models import Media

logger = logging.getLogger(__name__)


@task(queue_name="media")
def process_media(media_id):
    """Make the thumbnail and blurhash of an uploaded image (already stripped of metadata)."""
    item = Media.objects.filter(pk=media_id).first()
    if item is None:
        return
    try:
        with item.file.open("rb") as f:
            thumb, hash_ = thumbnail_and_blurhash(f)
    except Exception:
        logger.exception("Could not process media %s", media_id)
        Media.objects.filter(pk=media_id).update(state=Media.State.FAILED)
        return
    item.thumbnail.save(f"{uuid.uuid4().hex}-small.jpg", ContentFile(thumb), save=False)
    item.blurhash = hash_
    item.state = Media.State.READY
    item.save(update_fields=["thumbnail", "blurhash", "state"])


@task(queue_name="media")
def fetch_remote_media(media_id):
    """Copy a remote post's image here, stripped and resized like an upload.

    Readers' browsers then never contact the other server (which would learn who reads what),
    and a photo's GPS tags do not reach anyone through Rostra, wherever it was posted.
    """
    from rostra.federation.actions import media_rejected
    from rostra.federation.fetch import FetchError, request

    from . import media as media_lib

    item = Media.objects.filter(pk=media_id).select_related("account").first()
    if item is None or item.file or not item.remote_url:
        return
    if media_rejected(item.account.domain or ""):
        return
    try:
        status, _, data = request("GET", item.remote_url, limit=settings.ROSTRA_MEDIA_MAX_BYTES)
        if status != 200:
            raise FetchError(f"answered {status}")
        stripped, ext, width, height = media_lib.strip_and_resize(data)
    except (FetchError, ActionError) as exc:
        logger.info("Remote image %s not copied: %s", item.remote_url, exc)
        Media.objects.filter(pk=media_id).update(state=Media.State.FAILED)
        return
    item.file.save(f"{uuid.uuid4().hex}.{ext}", ContentFile(stripped), save=False)
    item.width, item.height = width, height
    item.save(update_fields=["file", "width", "height"])
    process_media.call(item.pk)


PURGE_DELAY = timedelta(minutes=2)


@task()
def purge_search_index():
    """Rewrite the search index without the words of posts deleted since the last purge."""
    from .search import purge_deleted_words

    cache.delete("search-purge-scheduled")
    purge_deleted_words()


def schedule_search_purge():
    """One purge a couple of minutes after a burst of deletions, not one per deletion.

    Rewriting the index costs about as much for one deleted post as for a thousand.
    """
    if not cache.add("search-purge-scheduled", 1, timeout=int(PURGE_DELAY.total_seconds()) * 5):
        return
    if default_task_backend.supports_defer:
        enqueue_on_commit(purge_search_index.using(run_after=timezone.now() + PURGE_DELAY))
    else:
        enqueue_on_commit(purge_search_index)
