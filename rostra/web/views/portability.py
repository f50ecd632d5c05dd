"""Settings pages for taking an account elsewhere and bringing one here: export and import."""

from django.core.cache import cache
from django.http import Http404, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from rostra.accounts import archive
from rostra.accounts.models import ArchiveImport
from rostra.core.errors import ActionError

from .common import error_response, page, sign_in_required, viewer_of

EXPORT_LOCK_S = 600
CSV_LABELS = {
    "following": "People you follow",
    "blocks": "Blocked accounts",
    "mutes": "Muted accounts",
    "bookmarks": "Bookmarks",
    "lists": "Lists",
}
KIND_BY_FILE = {name: kind for kind, name in archive.CSV_FILES.items()}


def _export_context():
    return {
        "title": "Export",
        "files": [(archive.CSV_FILES[kind], label) for kind, label in CSV_LABELS.items()],
    }


@sign_in_required
@require_GET
def export(request):
    return page(request, "settings/export.html", _export_context())


def _export_lock(account):
    return f"archive-export:{account.pk}"


@sign_in_required
@require_POST
def download_archive(request):
    """The whole archive, streamed as it is made: a download starts at once, whatever its size.

    One at a time per account: each is a long read of everything the account owns.
    """
    viewer = viewer_of(request)
    lock = _export_lock(viewer)
    if not cache.add(lock, 1, timeout=EXPORT_LOCK_S):
        return error_response(
            request,
            ActionError("Your archive is already being downloaded; wait for that download to finish.", status=429),
            "settings/export.html",
            _export_context(),
        )

    def chunks():
        try:
            yield from archive.archive_chunks(viewer, keep_alive=lambda: cache.touch(lock, EXPORT_LOCK_S))
        finally:
            cache.delete(lock)

    response = StreamingHttpResponse(chunks(), content_type="application/zip")
    name = f"rostra-{viewer.username}-{timezone.now():%Y%m%d}.zip"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response


@sign_in_required
@require_GET
def download_csv(request, file_name):
    kind = KIND_BY_FILE.get(file_name)
    if kind is None:
        raise Http404("No such file.")
    response = HttpResponse(archive.export_csv(viewer_of(request), kind), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{file_name}"'
    response["Cache-Control"] = "private, no-store"
    return response


@sign_in_required
def import_page(request):
    viewer = viewer_of(request)

    def context(**extra):
        return {
            "title": "Import",
            "kinds": ArchiveImport.Kind.choices,
            "imports": archive.imports_of(viewer),
            **extra,
        }

    if request.method == "POST":
        upload = request.FILES.get("file")
        try:
            archive.start_import(viewer, request.POST.get("kind", ""), upload, file_name=getattr(upload, "name", ""))
        except ActionError as exc:
            return error_response(request, exc, "settings/import.html", context(form=request.POST))
        return HttpResponseRedirect("/settings/import?started=1")
    return page(request, "settings/import.html", context(started=request.GET.get("started")))
