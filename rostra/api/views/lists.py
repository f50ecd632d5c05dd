"""Lists: a person's named selections of people they follow, and each list's timeline.

The rules live in ``rostra.timelines.lists``; this module reads parameters and writes JSON.
"""

from rostra.accounts.models import Account
from rostra.timelines import lists

from ..http import ApiError, Reply, api, not_found, parse_id, route
from ..pagination import PageParams, link_header
from ..serializers import account, statuses_for


def as_list(found):
    return {
        "id": str(found.pk),
        "title": found.title,
        "replies_policy": found.replies_policy,
        "exclusive": found.exclusive,
    }


def _exclusive(params):
    return params.flag("exclusive") if "exclusive" in params else None


def _policy(params):
    value = params.get("replies_policy")
    return str(value) if value not in (None, "") else None


@api("read:lists")
def list_lists(request):
    return [as_list(found) for found in lists.lists_of(request.viewer)]


@api("write:lists")
def create_list(request):
    params = request.params
    found = lists.create_list(
        request.viewer, params.text("title"), _policy(params) or "list", bool(_exclusive(params))
    )
    return as_list(found)


@api("read:lists")
def get_list(request, id):
    return as_list(lists.get_list(request.viewer, parse_id(id)))


@api("write:lists")
def update_list(request, id):
    params = request.params
    title = params.text("title") if "title" in params else None
    found = lists.update_list(
        request.viewer, parse_id(id), title=title, replies_policy=_policy(params), exclusive=_exclusive(params)
    )
    return as_list(found)


@api("write:lists")
def delete_list(request, id):
    lists.delete_list(request.viewer, parse_id(id))
    return {}


@api("read:lists")
def list_accounts(request, id):
    """Members, newest first; ``limit=0`` asks for all of them, as in Mastodon."""
    params = request.params
    everyone = str(params.get("limit", "")) == "0"
    page = PageParams(params, default=40, maximum=80) if not everyone else None
    if everyone:
        rows, more = lists.members(request.viewer, parse_id(id), limit=lists.MAX_MEMBERS)
        return [account(row.account) for row in rows]
    rows, more = lists.members(request.viewer, parse_id(id), page.max_id, page.since_id, page.min_id, page.limit)
    headers = link_header(request, rows[0].pk, rows[-1].pk, more) if rows else {}
    return Reply([account(row.account) for row in rows], headers=headers)


def _account_ids(params):
    ids = []
    for value in params.getlist("account_ids"):
        value = str(value)
        if not value.isdigit() or len(value) > 19:
            raise not_found()
        ids.append(int(value))
    if not ids:
        raise ApiError(422, "Validation failed: account_ids can't be blank")
    if len(ids) > lists.MAX_MEMBERS:
        raise ApiError(422, f"Validation failed: at most {lists.MAX_MEMBERS} accounts at once")
    return ids


@api("write:lists")
def add_accounts(request, id):
    lists.add_members(request.viewer, parse_id(id), _account_ids(request.params))
    return {}


@api("write:lists")
def remove_accounts(request, id):
    lists.remove_members(request.viewer, parse_id(id), _account_ids(request.params))
    return {}


@api("read:lists")
def account_lists(request, id):
    """The caller's lists that have this account on them."""
    target = Account.objects.filter(pk=parse_id(id)).first()
    if target is None:
        raise not_found()
    return [as_list(found) for found in lists.lists_with(request.viewer, target.pk)]


@api("read:lists")
def list_timeline(request, id):
    page = PageParams(request.params, default=20, maximum=40)
    window = lists.timeline(request.viewer, parse_id(id), page.max_id, page.since_id, page.min_id, page.limit)
    return Reply(
        statuses_for(request.viewer, window.items),
        headers=link_header(request, window.top, window.bottom, window.more),
    )


routes = [
    route(r"api/v1/lists", get=list_lists, post=create_list),
    route(r"api/v1/lists/(?P<id>[^/]+)", get=get_list, put=update_list, delete=delete_list),
    route(r"api/v1/lists/(?P<id>[^/]+)/accounts", get=list_accounts, post=add_accounts, delete=remove_accounts),
    route(r"api/v1/accounts/(?P<id>[^/]+)/lists", get=account_lists),
    route(r"api/v1/timelines/list/(?P<id>[^/]+)", get=list_timeline),
]
