"""Profile pages and the buttons on them: follow, block, mute; follow requests."""

from django.db import connection
from django.http import HttpResponseRedirect
from django.views.decorators.http import require_POST

from rostra.accounts import actions
from rostra.accounts.models import Follow, FollowRequest
from rostra.core.errors import ActionError
from rostra.posts.queries import blocked_ids
from rostra.timelines import queries

from .common import back, error_response, get_account, page, sign_in_required, viewer_of

TABS = ("posts", "replies", "media")


def relationship(viewer, account):
    """What the viewer's buttons on a profile should say, in one query."""
    if viewer is None or viewer.pk == account.pk:
        return {}
    sql = (
        "SELECT 'following' FROM accounts_follow WHERE follower_id = %(v)s AND target_id = %(a)s"
        " UNION ALL SELECT 'requested' FROM accounts_followrequest WHERE follower_id = %(v)s AND target_id = %(a)s"
        " UNION ALL SELECT 'follows_you' FROM accounts_follow WHERE follower_id = %(a)s AND target_id = %(v)s"
        " UNION ALL SELECT 'blocking' FROM accounts_block WHERE account_id = %(v)s AND target_id = %(a)s"
        " UNION ALL SELECT 'blocked_by' FROM accounts_block WHERE account_id = %(a)s AND target_id = %(v)s"
        " UNION ALL SELECT 'muting' FROM accounts_mute WHERE account_id = %(v)s AND target_id = %(a)s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, {"v": viewer.pk, "a": account.pk})
        found = {row[0] for row in cursor.fetchall()}
    names = ("following", "requested", "follows_you", "blocking", "blocked_by", "muting")
    return {name: name in found for name in names}


def profile(request, username, tab="posts"):
    account = get_account(username)
    viewer = viewer_of(request)
    rel = relationship(viewer, account)
    hidden = viewer is not None and account.pk in blocked_ids(viewer)
    feed = None if hidden else queries.profile_posts(viewer, account, tab, request.GET.get("max_id"))
    elsewhere = None
    if not account.is_local:
        from rostra.federation.models import Actor

        elsewhere = Actor.objects.filter(account_id=account.pk).values_list("url", flat=True).first() or account.uri
    return page(
        request,
        "accounts/profile.html",
        {"account": account, "tab": tab, "tabs": TABS, "feed": feed, "rel": rel, "hidden": hidden, "title": account.name,
         "elsewhere": elsewhere},
    )


def people(request, username, direction):
    """Who follows an account, or whom it follows."""
    account = get_account(username)
    viewer = viewer_of(request)
    if viewer is not None and account.pk in blocked_ids(viewer):
        return page(request, "accounts/people.html", {"account": account, "people": [], "direction": direction})
    if direction == "followers":
        rows = Follow.objects.filter(target=account).select_related("follower").order_by("-id")[:80]
        people_list = [r.follower for r in rows]
    else:
        rows = Follow.objects.filter(follower=account).select_related("target").order_by("-id")[:80]
        people_list = [r.target for r in rows]
    hide = blocked_ids(viewer)
    people_list = [p for p in people_list if p.pk not in hide]
    return page(
        request,
        "accounts/people.html",
        {"account": account, "people": people_list, "direction": direction, "title": f"{account.name}: {direction}"},
    )


def _account_button(action):
    @sign_in_required
    @require_POST
    def view(request, username):
        account = get_account(username)
        try:
            action(viewer_of(request), account)
        except ActionError as exc:
            return error_response(request, exc)
        return back(request, fallback=account.url)

    return view


follow = _account_button(actions.follow)
unfollow = _account_button(actions.unfollow)
block = _account_button(actions.block)
unblock = _account_button(actions.unblock)
mute = _account_button(actions.mute)
unmute = _account_button(actions.unmute)
ACCOUNT_BUTTONS = {
    "follow": follow, "unfollow": unfollow, "block": block, "unblock": unblock, "mute": mute, "unmute": unmute,
}


def account_action(request, username, verb):
    """POST /@name/follow and friends: one route for the buttons on a profile."""
    return ACCOUNT_BUTTONS[verb](request, username)


@sign_in_required
def follow_requests(request):
    viewer = viewer_of(request)
    pending = FollowRequest.objects.filter(target=viewer).select_related("follower").order_by("-id")[:100]
    return page(request, "accounts/follow_requests.html", {"requests": pending, "title": "Follow requests"})


@sign_in_required
@require_POST
def answer_follow_request(request, username, answer):
    viewer = viewer_of(request)
    follower = get_account(username)
    try:
        if answer == "accept":
            actions.accept_follow_request(viewer, follower)
        else:
            actions.reject_follow_request(viewer, follower)
    except ActionError as exc:
        return error_response(request, exc)
    return HttpResponseRedirect("/follow-requests")
