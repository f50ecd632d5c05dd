"""Reports: ``POST /api/v1/reports`` puts a report in the moderation queue, as the web's form does.

Mastodon reports an account with any number of its statuses; a Rostra report is about one
post or one account. So a report naming statuses files one Rostra report per status (each
joins that post's queue item), and one without statuses reports the account. Each counts
against the same rate limit as the web's reports. The answer is one Mastodon Report listing
everything reported, with the first Rostra report's ID.

Categories map to Rostra's reasons: spam is spam, legal is illegal, other is other, and a
violation takes the reason of the first rule named (``RULE_REASON``), else "other".
"""

from rostra.accounts.models import Account
from rostra.moderation import actions as moderation
from rostra.posts.models import Post
from rostra.posts.queries import can_see

from ..http import ApiError, api, not_found, route
from ..serializers import account, timestamp
from .instance import RULE_REASON

CATEGORIES = ("spam", "legal", "violation", "other")
CATEGORY_REASON = {"spam": "spam", "legal": "illegal", "other": "other"}
MAX_STATUSES = 20
MAX_COMMENT = 1000


def _ids(params, key):
    ids = []
    for value in params.getlist(key):
        value = str(value)
        if not value.isdigit() or len(value) > 19:
            raise not_found()
        ids.append(int(value))
    return list(dict.fromkeys(ids))


def _category(params, rule_ids):
    category = params.text("category") or ("violation" if rule_ids else "other")
    if category not in CATEGORIES:
        raise ApiError(422, "Validation failed: Category is not included in the list")
    if category == "violation":
        if not rule_ids:
            raise ApiError(422, "Validation failed: Rule ids can't be blank")
        unknown = [r for r in rule_ids if str(r) not in RULE_REASON]
        if unknown:
            raise ApiError(422, "Validation failed: Rule ids contains unknown rules")
        return category, RULE_REASON[str(rule_ids[0])]
    return category, CATEGORY_REASON[category]


def _posts(target, status_ids):
    """The target's posts named in ``status_ids``; any other ID is 'not found', as in Mastodon."""
    posts = {p.pk: p for p in Post.objects.filter(pk__in=status_ids, author=target).select_related("author", "echo_of")}
    if len(posts) != len(status_ids):
        raise not_found()
    return [posts[pk] for pk in status_ids]


def _check_visible(viewer, posts):
    """Every post must be one the reporter can see, before any report is filed (no half reports)."""
    for post in posts:
        if not can_see(viewer, post.echo_of if post.is_plain_echo else post):
            raise not_found()
    return posts


@api("write:reports")
def create_report(request):
    params = request.params
    account_id = params.get("account_id")
    if account_id in (None, ""):
        raise ApiError(422, "Validation failed: account_id can't be blank")
    account_id = str(account_id)
    if not account_id.isdigit() or len(account_id) > 19:
        raise not_found()
    target = Account.objects.filter(pk=int(account_id)).first()
    if target is None:
        raise not_found()
    comment = params.text("comment")
    if len(comment) > MAX_COMMENT:
        raise ApiError(422, f"Validation failed: Comment is too long (maximum is {MAX_COMMENT} characters)")
    status_ids = _ids(params, "status_ids")
    if len(status_ids) > MAX_STATUSES:
        raise ApiError(422, f"Validation failed: at most {MAX_STATUSES} statuses per report")
    rule_ids = [str(r) for r in params.getlist("rule_ids")]
    category, reason = _category(params, rule_ids)
    posts = _check_visible(request.viewer, _posts(target, status_ids))
    made = [moderation.report(request.viewer, post=post, reason=reason, comment=comment) for post in posts]
    if not posts:
        made = [moderation.report(request.viewer, account=target, reason=reason, comment=comment)]
    first = made[0]
    # ``forward``: the server of someone elsewhere gets a copy, from this instance, naming no reporter.
    forwarded = params.flag("forward") and not target.is_local
    if forwarded:
        from rostra.federation import outbox, uris

        outbox.report_forwarded(first, comment, [uris.post(p) for p in posts])
    return {
        "id": str(first.pk),
        "action_taken": False,
        "action_taken_at": None,
        "category": category,
        "comment": first.comment,
        "forwarded": forwarded,
        "created_at": timestamp(first.created_at),
        "status_ids": [str(p.pk) for p in posts],
        "rule_ids": rule_ids if category == "violation" else [],
        "target_account": account(target),
    }


routes = [route(r"api/v1/reports", post=create_report)]
