"""Taking an account elsewhere, and bringing one here: no host can keep a person's community.

A person downloads everything they own as one zip shaped like Mastodon's archive
(``archive_export``), or one CSV file at a time; they import Mastodon's CSV files
(``archive_import``) and a Mastodon archive's posts (``archive_posts``). This module is the
road a web upload takes: the import is recorded (``ArchiveImport``), handed to a worker
(thousands of follows mean thousands of look-ups on other servers, too slow for a request),
and its outcome kept for the settings page. The command line calls the same functions.
"""

import logging
import uuid

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from rostra.core.errors import ActionError
from rostra.core.tasks import enqueue_on_commit

from .archive_export import CSV_FILES, Exported, address, archive_chunks, csv_rows, export_archive, export_csv
from .archive_import import CSV_KINDS, MAX_CSV_BYTES, ImportResult, import_csv, read_csv
from .archive_posts import MAX_ARCHIVE_BYTES, check_archive, import_posts
from .models import ArchiveImport

__all__ = [
    "CSV_FILES", "CSV_KINDS", "IMPORT_KINDS", "Exported", "ImportResult", "address", "archive_chunks",
    "check_archive", "csv_rows", "export_archive", "export_csv", "import_csv", "import_posts", "imports_of",
    "imports_dir", "MAX_ARCHIVE_BYTES", "MAX_CSV_BYTES", "read_csv", "run_import", "start_import",
]

logger = logging.getLogger(__name__)

IMPORT_KINDS = (*CSV_KINDS, "posts")
MAX_FAILURES_KEPT = 50
PROGRESS_EVERY_S = 2.0


def imports_dir():
    """Where uploaded archives wait for their import: beside the database, never under the
    media folder, which the web server serves to anyone."""
    return settings.DATA_DIR / "imports"


def imports_of(account, limit=20):
    """The account's latest imports, newest first, for the settings page."""
    return list(ArchiveImport.objects.filter(account=account).order_by("-id")[:limit])


def start_import(account, kind, upload, file_name=""):
    """Check an uploaded file, record its import and queue it; returns the ArchiveImport.

    A file that cannot be imported at all is refused here (ActionError), while the person is
    still on the page, rather than found out by the worker. One import of each kind waits
    or runs at a time per account.
    """
    if kind not in IMPORT_KINDS:
        raise ActionError("Choose what the file holds.", status=422, field="kind")
    if upload is None:
        raise ActionError("Choose a file to import.", status=422, field="file")
    busy = ArchiveImport.objects.filter(
        account=account, kind=kind, state__in=[ArchiveImport.State.QUEUED, ArchiveImport.State.RUNNING]
    )
    if busy.exists():
        raise ActionError("An import of this kind is already waiting or running; try again when it is done.", status=429)
    file_name = (file_name or getattr(upload, "name", "") or "")[:200]
    if kind != "posts":
        data = upload.read(MAX_CSV_BYTES + 1)
        rows = read_csv(kind, data)
        if not rows:
            raise ActionError("That file has no rows to import.", status=422, field="file")
        text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
        with transaction.atomic():
            job = ArchiveImport.objects.create(account=account, kind=kind, file_name=file_name)
            _enqueue(job.pk, text)
        return job
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_ARCHIVE_BYTES:
        raise ActionError(f"Archives can be at most {MAX_ARCHIVE_BYTES // 1024**3} GB.", status=413, field="file")
    folder = imports_dir()
    folder.mkdir(parents=True, exist_ok=True)
    waiting = folder / f"upload-{uuid.uuid4().hex}.part"
    try:
        with open(waiting, "wb") as out:
            for chunk in upload.chunks() if hasattr(upload, "chunks") else iter(lambda: upload.read(1 << 20), b""):
                out.write(chunk)
        check_archive(waiting)
        with transaction.atomic():
            job = ArchiveImport.objects.create(account=account, kind=kind, file_name=file_name)
            waiting.rename(folder / f"{job.pk}.zip")
            _enqueue(job.pk)
    finally:
        waiting.unlink(missing_ok=True)
    return job


def _enqueue(import_id, text=None):
    from .tasks import run_archive_import

    enqueue_on_commit(run_archive_import, str(import_id), text)


def _progress_saver(job):
    """A ``progress`` callback that shows how far the import got, a few times a minute."""
    last = [0.0]

    def save(done, total):
        now = timezone.now().timestamp()
        if now - last[0] >= PROGRESS_EVERY_S:
            last[0] = now
            ArchiveImport.objects.filter(pk=job.pk).update(counts={"processed": done, "total": total})

    return save


def run_import(import_id, text=None):
    """Do a queued import (the worker's side) and record how it went.

    Runs once: a task run again finds the import no longer waiting and does nothing. The
    uploaded archive is deleted when done, whatever happened.
    """
    import_id = int(import_id)
    claimed = ArchiveImport.objects.filter(pk=import_id, state=ArchiveImport.State.QUEUED).update(
        state=ArchiveImport.State.RUNNING
    )
    job = ArchiveImport.objects.filter(pk=import_id).select_related("account").first()
    archive_path = imports_dir() / f"{import_id}.zip"
    if not claimed or job is None:
        return
    outcome = {"state": ArchiveImport.State.FAILED}
    try:
        if job.kind == "posts":
            if not archive_path.exists():
                raise ActionError(
                    "The uploaded archive is not on the machine that ran the import "
                    "(workers on other machines need the same ROSTRA_DATA_DIR)."
                )
            result = import_posts(job.account, archive_path, progress=_progress_saver(job))
        else:
            result = import_csv(job.account, job.kind, text or "", progress=_progress_saver(job))
    except ActionError as exc:
        outcome["error"] = exc.message[:500]
    except Exception:
        logger.exception("Import %s failed", import_id)
        outcome["error"] = "The import stopped on an unexpected error; what it had done so far is kept."
    else:
        outcome.update(state=ArchiveImport.State.DONE, counts=result.counts, failures=result.failures[:MAX_FAILURES_KEPT])
    finally:
        if job.kind == "posts":
            archive_path.unlink(missing_ok=True)
    outcome["finished_at"] = timezone.now()
    ArchiveImport.objects.filter(pk=import_id).update(**outcome)

