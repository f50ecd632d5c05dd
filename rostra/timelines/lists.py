"""Lists: a person's own named selections of the people they follow, each read as a timeline.

Mastodon's lists, for the client API. Members must be people the owner follows; a member
the owner stops following is left out when the list is read (``_member_ids``), so an
unfollow never leaves a stranger on a list even though the rows are not deleted at once.
"""

from django.db import IntegrityError, transaction
from django.db.models import F, Q

from rostra.accounts.models import Account, Follow
from rostra.core.errors import ActionError, NotFound
from rostra.core.html import clean_text
from rostra.posts.models import Post, PostState
from rostra.posts.queries import hidden_by_viewer, visible_posts

from .models import List, ListMember

MAX_LISTS = 50
MAX_MEMBERS = 500
MAX_TITLE = 100
REPLIES_POLICIES = List.RepliesPolicy.values


def _title(title):
    title = clean_text(title or "").strip()
    if not title:
        raise ActionError("Validation failed: Title can't be blank", status=422, field="title")
    if len(title) > MAX_TITLE:
        raise ActionError(f"Validation failed: Title is at most {MAX_TITLE} characters", status=422, field="title")
    return title


def _policy(replies_policy):
    if replies_policy not in REPLIES_POLICIES:
        raise ActionError(
            f"Validation failed: replies_policy must be one of {', '.join(REPLIES_POLICIES)}", status=422
        )
    return replies_policy


def get_list(owner, list_id):
    """The owner's list, or NotFound: someone else's list does not exist for them."""
    found = List.objects.filter(account=owner, pk=list_id).first()
    if found is None:
        raise NotFound("No such list.")
    return found


def lists_of(owner):
    return list(List.objects.filter(account=owner).order_by("id"))


def create_list(owner, title, replies_policy=List.RepliesPolicy.LIST, exclusive=False):
    title = _title(title)
    replies_policy = _policy(replies_policy)
    if List.objects.filter(account=owner).count() >= MAX_LISTS:
        raise ActionError(f"You can have at most {MAX_LISTS} lists.", status=422)
    return List.objects.create(account=owner, title=title, replies_policy=replies_policy, exclusive=bool(exclusive))


def update_list(owner, list_id, *, title=None, replies_policy=None, exclusive=None):
    found = get_list(owner, list_id)
    changes = {}
    if title is not None:
        changes["title"] = _title(title)
    if replies_policy is not None:
        changes["replies_policy"] = _policy(replies_policy)
    if exclusive is not None:
        changes["exclusive"] = bool(exclusive)
    if changes:
        List.objects.filter(pk=found.pk).update(**changes)
        for name, value in changes.items():
            setattr(found, name, value)
    return found


def delete_list(owner, list_id):
    get_list(owner, list_id).delete()


def _member_ids(found):
    """Members the owner still follows: the only ones the list shows."""
    followed = Follow.objects.filter(follower_id=found.account_id).values("target_id")
    return ListMember.objects.filter(list=found, account_id__in=followed).values("account_id")


def members(owner, list_id, max_id=None, since_id=None, min_id=None, limit=40):
    """(ListMember rows with ``account``, more-to-come) newest first, paged by the row's ID."""
    found = get_list(owner, list_id)
    qs = ListMember.objects.filter(list=found, account_id__in=_member_ids(found).values("account_id"))
    return _page(qs.select_related("account"), max_id, since_id, min_id, limit)


def add_members(owner, list_id, account_ids):
    """Put accounts on a list; each must be someone the owner follows (as Mastodon requires)."""
    found = get_list(owner, list_id)
    account_ids = list(dict.fromkeys(account_ids))
    followed = set(
        Follow.objects.filter(follower=owner, target_id__in=account_ids).values_list("target_id", flat=True)
    )
    if len(followed) != len(account_ids):
        if Account.objects.filter(pk__in=account_ids).count() != len(account_ids):
            raise NotFound("No such account.")
        raise ActionError("Validation failed: You must follow an account to add it to a list", status=422)
    if ListMember.objects.filter(list=found, account_id__in=account_ids).exists():
        raise ActionError("Validation failed: Account has already been taken", status=422)
    if ListMember.objects.filter(list=found).count() + len(account_ids) > MAX_MEMBERS:
        raise ActionError(f"A list has at most {MAX_MEMBERS} members.", status=422)
    try:
        with transaction.atomic():
            ListMember.objects.bulk_create([ListMember(list=found, account_id=pk) for pk in account_ids])
    except IntegrityError:
        raise ActionError("Validation failed: Account has already been taken", status=422) from None
    return found


def remove_members(owner, list_id, account_ids):
    found = get_list(owner, list_id)
    ListMember.objects.filter(list=found, account_id__in=list(account_ids)).delete()
    return found


def lists_with(owner, account_id):
    """The owner's lists that have this account on them."""
    return list(List.objects.filter(account=owner, members__account_id=account_id).order_by("id").distinct())


def _replies_allowed(found):
    """Which comments a list shows, as Mastodon decides it.

    A member's comment on their own post and a comment to the owner always show; others
    depend on ``replies_policy``: to anyone the owner follows, to members only, or none.
    """
    top_level = Q(in_reply_to_id__isnull=True, thread_root_id__isnull=True)
    allowed = top_level | Q(in_reply_to_account_id=F("author_id")) | Q(in_reply_to_account_id=found.account_id)
    if found.replies_policy == List.RepliesPolicy.FOLLOWED:
        followed = Follow.objects.filter(follower_id=found.account_id).values("target_id")
        allowed |= Q(in_reply_to_account_id__in=followed)
    elif found.replies_policy == List.RepliesPolicy.LIST:
        allowed |= Q(in_reply_to_account_id__in=ListMember.objects.filter(list=found).values("account_id"))
    return allowed


def timeline(viewer, list_id, max_id=None, since_id=None, min_id=None, limit=20):
    """A Window of posts by the list's members, newest first, as the owner may see them.

    Posts come from the posts table, not the home feed, so a list shows a member's older
    posts too; visibility, blocks, mutes and muted terms apply as on every other timeline.
    """
    found = get_list(viewer, list_id)
    qs = (
        visible_posts(viewer)
        .filter(author_id__in=_member_ids(found), state=PostState.PUBLISHED)
        .filter(_replies_allowed(found))
        .select_related("author", "echo_of", "echo_of__author")
    )
    return scan(qs, max_id, since_id, min_id, limit, keep=lambda rows: [p for p in rows if not hidden_by_viewer(viewer, p)])


class Window:
    """One page read by ID cursors: the kept rows (newest first) and the IDs it covered.

    ``top`` and ``bottom`` are the highest and lowest IDs looked at, kept or not, so the next
    page starts below what was skipped instead of reading it again. ``more``: older rows may
    follow.
    """

    def __init__(self, items, top, bottom, more):
        self.items, self.top, self.bottom, self.more = items, top, bottom, more


def _page(qs, max_id, since_id, min_id, limit):
    window = scan(qs, max_id, since_id, min_id, limit)
    return window.items, window.more


def scan(qs, max_id, since_id, min_id, limit, keep=None, rounds=3):
    """Mastodon's cursors (``max_id``, ``since_id``, ``min_id``) over a queryset by primary key.

    ``keep`` drops rows the reader must not see (checks done in memory, per batch). When it
    drops some, up to ``rounds`` batches are read so a page is rarely short; each batch is one
    query plus what ``keep`` costs, whatever the page size. ``min_id`` reads upwards from the
    cursor (the page just above it); every page still comes back newest first.
    """
    ascending = min_id is not None
    if max_id is not None:
        qs = qs.filter(pk__lt=max_id)
    if since_id is not None:
        qs = qs.filter(pk__gt=since_id)
    if ascending:
        qs = qs.filter(pk__gt=min_id)
    kept, seen, cursor, more = [], [], None, False
    for _ in range(rounds):
        batch = qs
        if cursor is not None:
            batch = qs.filter(pk__gt=cursor) if ascending else qs.filter(pk__lt=cursor)
        rows = list(batch.order_by("pk" if ascending else "-pk")[: limit + 1])
        more = len(rows) > limit
        rows = rows[:limit]
        if not rows:
            break
        seen += [rows[0].pk, rows[-1].pk]
        cursor = rows[-1].pk
        kept += keep(rows) if keep else rows
        if len(kept) >= limit or not more:
            break
    if len(kept) > limit:
        kept, more = kept[:limit], True
        seen.append(kept[-1].pk)
        seen = [pk for pk in seen if (pk <= kept[-1].pk if ascending else pk >= kept[-1].pk)]
    if ascending:
        kept.reverse()
        more = True  # older rows: at least the one named by min_id
    if not seen:
        return Window(kept, None, None, False)
    return Window(kept, max(seen), min(seen), more)
