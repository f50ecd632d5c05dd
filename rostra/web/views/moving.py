"""Moving an account: naming one's other accounts (aliases), then moving followers to one.

A move is two steps, as on Mastodon: the new account first lists the old one among its
aliases (so nobody can take someone's followers by claiming to be them), then the old account
moves; its followers, here and on other servers, follow the new one.
"""

from django.http import HttpResponseRedirect

from rostra.accounts import actions
from rostra.core.errors import ActionError
from rostra.federation import uris
from rostra.federation.keys import local_actor

from .common import error_response, page, sign_in_required, viewer_of


@sign_in_required
def moving(request):
    viewer = viewer_of(request)
    actor = local_actor(viewer)
    ctx = {
        "title": "Moving",
        "aliases": actor.also_known_as,
        "moved_to": actor.moved_to_uri,
        "me": uris.actor(viewer),
        "handle": f"{viewer.username}@{request.get_host()}",
        "moved": request.GET.get("moved"),
    }
    if request.method == "POST":
        try:
            if request.POST.get("what") == "aliases":
                actions.set_aliases(viewer, request.POST.get("aliases", "").split())
            elif request.POST.get("what") == "move":
                target, count = actions.move_account(viewer, request.POST.get("target", ""))
                return HttpResponseRedirect(f"/settings/moving?moved={count}")
            else:
                raise ActionError("Unknown action.")
        except ActionError as exc:
            return error_response(request, exc, "settings/moving.html", ctx | {"form": request.POST})
        return HttpResponseRedirect("/settings/moving")
    return page(request, "settings/moving.html", ctx)
