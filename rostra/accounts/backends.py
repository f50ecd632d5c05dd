"""Signing in, with the signed-in person's Account loaded in the same query."""

from django.contrib.auth.backends import ModelBackend

from django.db import connection

from rostra.core import rawrows
from rostra.posts.queries import keep_relations, relations_columns

from .models import Account, User


class AccountBackend(ModelBackend):
    """Django's password backend; every page needs the Account too, so fetch both at once.

    Written as SQL (``core.rawrows``): it runs on every request, and the ORM's query building
    cost more than the query.
    """

    def get_user(self, user_id):
        user, account = load_viewer("u.id = %s", [user_id])
        if user is None:
            return None
        return user if self.user_can_authenticate(user) else None

    def user_can_authenticate(self, user):
        """A suspended account cannot sign in, and a session it already had stops working."""
        if not super().user_can_authenticate(user):
            return False
        try:
            account = user.account  # already loaded by get_user; one query when signing in
        except Account.DoesNotExist:
            return True
        return not account.is_suspended


_LAYOUT = (rawrows.ModelColumns(User, "u"), rawrows.ModelColumns(Account, "a"))

# Every signed-in page shows the unread count; it is capped (shown as "99+") so it stays cheap.
UNREAD_CAP = 99

# Unread notifications of account ``a``: those the notifications page would show, so the badge
# never counts what the list hides (an actor blocked either way, a post not published).
UNREAD_SHOWN = (
    "NOT EXISTS (SELECT 1 FROM accounts_block b WHERE (b.account_id = a.id AND b.target_id = n.actor_id)"
    " OR (b.account_id = n.actor_id AND b.target_id = a.id))"
    " AND (n.post_id IS NULL OR EXISTS (SELECT 1 FROM posts_post np WHERE np.id = n.post_id"
    " AND (np.state = 'published' OR np.author_id = a.id)))"
)
UNREAD_WHERE = (
    "FROM timelines_notification n WHERE n.recipient_id = a.id AND n.id > a.notifications_seen_id"
    f" AND {UNREAD_SHOWN}"
)


def viewer_columns(vendor):
    """The user, their account, their unread count and their relations (blocks, mutes, terms)."""
    users, accounts = _LAYOUT
    unread = f"(SELECT COUNT(*) FROM (SELECT 1 {UNREAD_WHERE} LIMIT {UNREAD_CAP + 1}) AS un)"
    return f"{users.sql()}, {accounts.sql()}, {unread}, {relations_columns(vendor, 'a.id')}"


def build_viewer(row, connection, offset=0):
    """(user, account) from a row whose columns from ``offset`` on are ``viewer_columns``.

    The account carries ``unread_count`` and its relations, so the page that follows needs no
    query of its own for either.
    """
    users, accounts = _LAYOUT
    start = offset + len(users)
    end = start + len(accounts)
    user = users.build(row[offset:start], connection)
    account = accounts.build(row[start:end], connection)
    if user is not None and account is not None:
        unread, blocked, muted, phrases = row[end : end + 4]
        account.unread_count = unread
        keep_relations(account, blocked, muted, phrases)
        rawrows.relate(account, "user", user)
        User._meta.get_field("account").set_cached_value(user, account)
    return user, account


def load_viewer(where, params):
    """The signed-in person found by ``where`` (on ``u``), in one query; (None, None) if none."""
    with rawrows.cursor() as cursor:
        cursor.execute(
            f"SELECT {viewer_columns(connection.vendor)} FROM accounts_user u"
            f" LEFT JOIN accounts_account a ON a.user_id = u.id WHERE {where}",
            params,
        )
        row = cursor.fetchone()
    if row is None:
        return None, None
    return build_viewer(row, connection)
