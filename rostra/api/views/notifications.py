"""Notifications: Rostra's kinds in Mastodon's types, paged, filtered, dismissed.

Kinds map as the product's words do: a follow and a follow request keep their names, a
comment and a mention are both a ``mention``, a plain echo is a ``reblog`` (of the person's
own post) and an echo with words a ``quote``, a vote is a ``favourite``, and a moderation
decision about the person is a ``moderation_warning``. Report outcomes have no Mastodon
counterpart and are left out.

What a person may no longer see stays out: notifications from people they block, are
blocked by or mute, and about posts they cannot see or have muted terms in.
"""

from datetime import timedelta

from django.db.models import Q

from rostra.core.ids import id_time
from rostra.moderation.models import Decision
from rostra.posts.queries import audience_facts, blocked_ids, hidden_by_viewer, muted_ids, sees
from rostra.timelines import actions
from rostra.timelines.lists import scan
from rostra.timelines.models import Notification
from rostra.timelines.queries import unread_notifications

from ..http import Reply, api, not_found, parse_id, route
from ..pagination import PageParams, link_header
from ..serializers import account, statuses_for, timestamp

Kind = Notification.Kind

# Which notifications each Mastodon type selects.
TYPE_QUERIES = {
    "follow": Q(kind=Kind.FOLLOW),
    "follow_request": Q(kind=Kind.FOLLOW_REQUEST),
    "mention": Q(kind__in=[Kind.REPLY, Kind.MENTION]),
    "reblog": Q(kind=Kind.ECHO, post__text=""),
    "quote": Q(kind=Kind.ECHO) & ~Q(post__text=""),
    "favourite": Q(kind=Kind.VOTE),
    "moderation_warning": Q(kind=Kind.DECISION),
}

# Mastodon's AccountWarning actions for Rostra's decisions.
WARNING_ACTIONS = {
    "remove": "delete_statuses",
    "reject": "delete_statuses",
    "content_warning": "mark_statuses_as_sensitive",
    "limit": "silence",
    "suspend": "suspend",
}


def type_of(notification):
    """The Mastodon type of a notification (None for kinds apps are not shown)."""
    kind = notification.kind
    if kind == Kind.ECHO:
        return "reblog" if notification.post is not None and not notification.post.text else "quote"
    return {
        Kind.FOLLOW: "follow",
        Kind.FOLLOW_REQUEST: "follow_request",
        Kind.REPLY: "mention",
        Kind.MENTION: "mention",
        Kind.VOTE: "favourite",
        Kind.DECISION: "moderation_warning",
    }.get(kind)


def _type_filter(params):
    """The Q for ``types[]`` less ``exclude_types[]``; unknown names select nothing, as in Mastodon."""
    wanted = [str(t) for t in params.getlist("types")] or list(TYPE_QUERIES)
    excluded = {str(t) for t in params.getlist("exclude_types")}
    chosen = [TYPE_QUERIES[t] for t in dict.fromkeys(wanted) if t in TYPE_QUERIES and t not in excluded]
    if not chosen:
        return None
    q = chosen[0]
    for more in chosen[1:]:
        q |= more
    return q


def _base(viewer):
    qs = Notification.objects.filter(recipient=viewer).exclude(kind=Kind.REPORT_OUTCOME)
    unwanted = blocked_ids(viewer) | muted_ids(viewer)
    if unwanted:
        qs = qs.exclude(actor_id__in=unwanted)
    return qs.select_related("actor", "post", "post__author", "post__echo_of", "post__echo_of__author")


def _subject(notification):
    """The post a notification shows: for a plain echo, the person's own post that was echoed."""
    post = notification.post
    if post is not None and post.echo_of_id and not post.text:
        return post.echo_of
    return post


def _visible(viewer, rows):
    """The notifications whose posts the viewer may still see; one query for the whole batch."""
    posts = [n.post for n in rows if n.post is not None]
    checked = posts + [p.echo_of for p in posts if p.echo_of_id and p.echo_of is not None]
    following, mentioned = audience_facts(viewer, checked)

    def shown(n):
        post = n.post
        if post is None:
            return n.kind not in (Kind.REPLY, Kind.MENTION, Kind.ECHO, Kind.VOTE)
        if post.echo_of_id and (post.echo_of is None or not sees(viewer, post.echo_of, following, mentioned)):
            return False
        return sees(viewer, post, following, mentioned) and not hidden_by_viewer(viewer, _subject(n))

    return [n for n in rows if shown(n)]


def _warnings(viewer, rows):
    """{notification id: Decision} for moderation notifications, in one query.

    A decision's notification is written just after the decision itself, so each is paired
    with the latest decision about the account made no later than it. An ID tells its time
    only to the millisecond while ``created_at`` keeps microseconds, so a decision counts as
    earlier when it was made before the end of the notification's millisecond.
    """
    wanted = [n for n in rows if n.kind == Kind.DECISION]
    if not wanted:
        return {}
    ends = {n.pk: id_time(n.pk) + timedelta(milliseconds=1) for n in wanted}
    decisions = list(
        Decision.objects.filter(account=viewer, created_at__lt=max(ends.values())).order_by("-created_at")[:200]
    )
    found = {}
    for n in wanted:
        match = next((d for d in decisions if d.created_at < ends[n.pk]), None)
        if match is not None:
            found[n.pk] = match
    return found


def _warning(decision, viewer):
    return {
        "id": str(decision.pk),
        "action": WARNING_ACTIONS.get(decision.action, "none"),
        "text": decision.statement,
        "status_ids": [str(decision.post_id)] if decision.post_id else [],
        "target_account": account(viewer),
        "appeal": None,
        "created_at": timestamp(decision.created_at),
    }


def serialize(viewer, rows):
    """Mastodon Notifications for a page: statuses and warnings fetched once for all."""
    subjects = {n.pk: _subject(n) for n in rows if n.post is not None}
    unique = list({p.pk: p for p in subjects.values() if p is not None}.values())
    statuses = dict(zip([p.pk for p in unique], statuses_for(viewer, unique)))
    warnings = _warnings(viewer, rows)
    result = []
    for n in rows:
        kind = type_of(n)
        data = {
            "id": str(n.pk),
            "type": kind,
            "created_at": timestamp(id_time(n.pk)),
            "group_key": f"ungrouped-{n.pk}",
            "account": account(n.actor),
        }
        subject = subjects.get(n.pk)
        if subject is not None:
            data["status"] = statuses[subject.pk]
        if kind == "moderation_warning":
            if n.pk not in warnings:
                continue
            data["moderation_warning"] = _warning(warnings[n.pk], viewer)
        result.append(data)
    return result


@api("read:notifications")
def list_notifications(request):
    viewer = request.viewer
    params = request.params
    page = PageParams(params, default=40, maximum=80)
    types = _type_filter(params)
    if types is None:
        return []
    qs = _base(viewer).filter(types)
    if "account_id" in params:
        qs = qs.filter(actor_id=params.id("account_id"))
    window = scan(qs, page.max_id, page.since_id, page.min_id, page.limit, keep=lambda rows: _visible(viewer, rows))
    return Reply(serialize(viewer, window.items), headers=link_header(request, window.top, window.bottom, window.more))


def _one(viewer, notification_id):
    n = _base(viewer).filter(pk=parse_id(notification_id)).first()
    if n is None or type_of(n) is None or not _visible(viewer, [n]):
        raise not_found()
    return n


@api("read:notifications")
def get_notification(request, id):
    data = serialize(request.viewer, [_one(request.viewer, id)])
    if not data:
        raise not_found()
    return data[0]


@api("write:notifications")
def dismiss(request, id):
    actions.dismiss_notification(request.viewer, parse_id(id))
    return {}


@api("write:notifications")
def dismiss_legacy(request):
    """Mastodon's old form: ``POST /api/v1/notifications/dismiss`` with ``id``."""
    actions.dismiss_notification(request.viewer, parse_id(request.params.get("id", "")))
    return {}


@api("write:notifications")
def clear(request):
    actions.clear_notifications(request.viewer)
    return {}


@api("read:notifications")
def unread_count(request):
    """Notifications newer than the notifications marker (the web's read position)."""
    limit = request.params.number("limit", 100, minimum=1, maximum=1000)
    return {"count": min(unread_notifications(request.viewer, cap=limit), limit)}


routes = [
    route(r"api/v1/notifications", get=list_notifications),
    route(r"api/v1/notifications/clear", post=clear),
    route(r"api/v1/notifications/dismiss", post=dismiss_legacy),
    route(r"api/v1/notifications/unread_count", get=unread_count),
    route(r"api/v1/notifications/(?P<id>[^/]+)", get=get_notification),
    route(r"api/v1/notifications/(?P<id>[^/]+)/dismiss", post=dismiss),
]
