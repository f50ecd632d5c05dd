"""Web pages for federation: the servers area of moderation (domain blocks, delivery health).

Moderators see it; only admins change it (``actions.block_domain`` checks), as with rules.
"""

from django.http import HttpResponse, HttpResponseRedirect

from rostra.core.errors import ActionError
from rostra.moderation.views import _is_admin, moderator_only
from rostra.web.views.common import error_response, page

from . import actions
from .models import DomainBlock, Instance


def _context(request):
    return {
        "blocks": DomainBlock.objects.order_by("domain")[:1000],
        "instances": Instance.objects.order_by("-unavailable", "-failures", "domain")[:200],
        "severities": DomainBlock.Severity.choices,
        "is_admin": _is_admin(request.user),
        "title": "Servers",
    }


@moderator_only
def servers(request):
    ctx = _context(request)
    if request.method == "POST":
        what = request.POST.get("what")
        try:
            if what == "block":
                actions.block_domain(
                    request.user,
                    request.POST.get("domain", ""),
                    request.POST.get("severity", "suspend"),
                    reject_media=bool(request.POST.get("reject_media")),
                    reject_reports=bool(request.POST.get("reject_reports")),
                    public_comment=request.POST.get("public_comment", ""),
                    private_comment=request.POST.get("private_comment", ""),
                    obfuscate=bool(request.POST.get("obfuscate")),
                )
            elif what == "unblock":
                actions.unblock_domain(request.user, request.POST.get("domain", ""))
            elif what == "retry":
                actions.retry_server(request.user, request.POST.get("domain", ""))
            elif what == "import":
                upload = request.FILES.get("file")
                if upload is None:
                    raise ActionError("Choose a CSV file to import.", status=422, field="file")
                if upload.size > 5_000_000:
                    raise ActionError("The file is larger than 5 MB.", status=413, field="file")
                added, skipped = actions.import_domain_blocks(request.user, upload.read())
                ctx["imported"] = (added, skipped[:50])
                return page(request, "federation/servers.html", _context(request) | {"imported": (added, skipped[:50])})
            else:
                raise ActionError("Unknown action.", status=400)
        except ActionError as exc:
            return error_response(request, exc, "federation/servers.html", ctx)
        return HttpResponseRedirect("/moderation/servers")
    return page(request, "federation/servers.html", ctx)


@moderator_only
def servers_csv(request):
    """The domain blocks as Mastodon's CSV, ready for another server's import."""
    response = HttpResponse(actions.export_domain_blocks(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="domain_blocks.csv"'
    return response
