"""Bringing an account here: Mastodon's CSV files of follows, blocks, mutes, bookmarks and lists.

Every row goes through the action a person's click would (``follow``, ``block``, ``mute``,
``bookmark``, the list functions), so it is checked and counted like the rest. An import
only adds: nothing already stored is changed or lost. A bad row is a line in the result,
never the end of the import; a file that cannot be an import at all (over 2 MB or 10,000
rows, not UTF-8, not CSV) is refused before anything is done, with an ActionError saying why.
The posts of a Mastodon archive are ``archive_posts``'s.
"""

import codecs
import csv
import io
import logging
import re

from django.conf import settings
from django.db.models.functions import Lower

from rostra.core.errors import ActionError

from . import actions
from .archive_export import CSV_HEADERS
from .models import Account, Block, Follow, FollowRequest, Mute

logger = logging.getLogger(__name__)

CSV_KINDS = ("following", "blocks", "mutes", "bookmarks", "lists")
MAX_CSV_BYTES = 2 * 1024 * 1024
MAX_CSV_ROWS = 10_000
# First cells that mark a header row rather than an account or a post.
HEADER_CELLS = {cells[0].lower() for cells in CSV_HEADERS.values()} | {"list name", "url", "uri"}


class ImportResult:
    """How an import went: counts, and one line per row or post that did not go in.

    ``counts`` keys are ``done``, ``already`` and ``failed`` for CSV files, ``imported``,
    ``skipped``, ``held`` and ``failed`` for posts (``held``: imported, but held by
    screening for a moderator). ``failures`` also holds notes on posts that went in
    without something (an image that could not be read), which do not count as failed.
    """

    def __init__(self, kind):
        self.kind = kind
        keys = ("imported", "skipped", "held", "failed") if kind == "posts" else ("done", "already", "failed")
        self.counts = dict.fromkeys(keys, 0)
        self.failures = []

    def add(self, key, n=1):
        self.counts[key] += n

    def fail(self, where, reason):
        self.counts["failed"] += 1
        self.note(where, reason)

    def note(self, where, reason):
        self.failures.append(f"{where}: {reason}")

    def __getattr__(self, name):
        counts = self.__dict__.get("counts", {})
        if name in counts:
            return counts[name]
        raise AttributeError(name)

    def summary(self):
        c = self.counts
        if self.kind == "posts":
            held = f" ({c['held']} held for review)" if c["held"] else ""
            return f"posts: {c['imported']} imported{held}, {c['skipped']} skipped, {c['failed']} failed."
        return f"{self.kind}: {c['done']} done, {c['already']} already there, {c['failed']} failed."


class _RowFailed(Exception):
    """A row that cannot be done; the message is its failure line."""


# --- CSV files ---------------------------------------------------------------------------


def _decode(data):
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    if len(data) > MAX_CSV_BYTES:
        raise ActionError(
            f"That file is {len(data) / 1048576:.1f} MB; imports are at most {MAX_CSV_BYTES // 1048576} MB.",
            status=413, field="file",
        )
    data = data.removeprefix(codecs.BOM_UTF8)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ActionError(
            f"That file is not UTF-8 text (line {line} has a byte that cannot be read). "
            "Save it as UTF-8 CSV and try again.", status=422, field="file",
        ) from None


def read_csv(kind, data):
    """[(line number, cells)] of an uploaded CSV file (bytes or text), header left out.

    Mastodon's files with or without their header row, with or without a byte-order mark,
    with Windows line ends. Refuses a whole file that is too big, not UTF-8 or has more
    than 10,000 rows, before anything is done with it.
    """
    if kind not in CSV_KINDS:
        raise ActionError(f"Unknown kind of import {kind!r}.", status=422, field="kind")
    text = _decode(data)
    if "\x00" in text:
        raise ActionError("That file is not a CSV file (it has binary data in it).", status=422, field="file")
    reader = csv.reader(io.StringIO(text, newline=""))
    rows, first = [], True
    try:
        for cells in reader:
            cells = [c.strip() for c in cells]
            if not any(cells):
                continue
            if first and cells[0].lower() in HEADER_CELLS:
                first = False
                continue
            first = False
            rows.append((reader.line_num, cells))
            if len(rows) > MAX_CSV_ROWS:
                raise ActionError(
                    f"That file has more than {MAX_CSV_ROWS:,} rows; split it and import the parts one by one.",
                    status=413, field="file",
                )
    except csv.Error as exc:
        raise ActionError(f"That file is not a CSV file Rostra can read (line {reader.line_num}: {exc}).", status=422, field="file") from None
    return rows


def _account_at(value):
    """The account an address names: someone here directly, someone elsewhere looked up
    (which may ask their server)."""
    from rostra.federation import resolve

    value = (value or "").strip().lstrip("@")
    if not value:
        raise _RowFailed("no account address")
    username, _, domain = value.partition("@")
    if not domain or domain.lower() == settings.ROSTRA_DOMAIN.lower():
        account = (
            Account.objects.alias(u=Lower("username"))
            .filter(u=username.lower(), domain__isnull=True)
            .first()
        )
        if account is None:
            raise _RowFailed("there is no such account here")
        return account
    if not settings.ROSTRA_FEDERATION:
        raise _RowFailed("this server does not federate, so accounts elsewhere cannot be found")
    try:
        return resolve.handle(value)
    except resolve.NotResolved as exc:
        raise _RowFailed(f"not found: {exc}") from None


def _post_at(url):
    from rostra.federation import resolve, uris
    from rostra.posts.models import Post

    url = (url or "").strip()
    if not re.match(r"^https?://", url):
        raise _RowFailed("not a post's address")
    local = uris.parse_local(url)
    if local is not None:
        post = Post.objects.filter(pk=local[1] or 0, author__domain__isnull=True).select_related("author").first()
        if post is None:
            raise _RowFailed("there is no such post here")
        return post
    if uris.is_local(url):
        raise _RowFailed("there is no such post here")
    if not settings.ROSTRA_FEDERATION:
        raise _RowFailed("this server does not federate, so posts elsewhere cannot be found")
    try:
        post = resolve.post(url)
    except resolve.NotResolved as exc:
        raise _RowFailed(f"not found: {exc}") from None
    if post is None:
        raise _RowFailed("not found")
    return post


def _follow_row(account, cells, state):
    target = _account_at(cells[0])
    if Follow.objects.filter(follower=account, target=target).exists() or (
        FollowRequest.objects.filter(follower=account, target=target).exists()
    ):
        return "already"
    actions.follow(account, target)
    return "done"


def _block_row(account, cells, state):
    target = _account_at(cells[0])
    if Block.objects.filter(account=account, target=target).exists():
        return "already"
    actions.block(account, target)
    return "done"


def _mute_row(account, cells, state):
    target = _account_at(cells[0])
    if Mute.objects.filter(account=account, target=target).exists():
        return "already"
    actions.mute(account, target)
    return "done"


def _bookmark_row(account, cells, state):
    from rostra.posts import actions as posts
    from rostra.posts.models import Bookmark

    post = _post_at(cells[0])
    original = post.echo_of if post.is_plain_echo else post
    if Bookmark.objects.filter(account=account, post=original).exists():
        return "already"
    posts.bookmark(account, post)
    return "done"


def _list_row(account, cells, state):
    """A list member: the list is made when missing, the person followed when not yet (as
    Mastodon's import does: a list holds only people its owner follows)."""
    from rostra.timelines import lists

    if len(cells) < 2 or not cells[0] or not cells[1]:
        raise _RowFailed("a row is a list's name and an account address")
    title, target = cells[0], _account_at(cells[1])
    found = state.get(title)
    if found is None:
        found = next((item for item in lists.lists_of(account) if item.title == title), None)
        if found is None:
            found = lists.create_list(account, title)
        state[title] = found
    if any(item.pk == found.pk for item in lists.lists_with(account, target.pk)):
        return "already"
    following = Follow.objects.filter(follower=account, target=target).exists()
    if not following and actions.follow(account, target) != "following":
        raise _RowFailed("asked to follow them; add them to the list once they accept")
    lists.add_members(account, found.pk, [target.pk])
    return "done"


ROW_ACTIONS = {
    "following": _follow_row,
    "blocks": _block_row,
    "mutes": _mute_row,
    "bookmarks": _bookmark_row,
    "lists": _list_row,
}


def import_csv(account, kind, data, progress=None):
    """Import one of Mastodon's CSV files into ``account``; returns an ``ImportResult``.

    Each row goes through the real action; rows already there count as ``already``.
    ``progress(done, total)`` is called as rows go by.
    """
    from rostra.federation.resolve import NotResolved

    rows = read_csv(kind, data)
    result = ImportResult(kind)
    handle, state = ROW_ACTIONS[kind], {}
    for i, (line, cells) in enumerate(rows, 1):
        where = f"line {line} ({cells[-1][:100] if kind == 'lists' else cells[0][:100]})"
        try:
            result.add(handle(account, cells, state))
        except (_RowFailed, NotResolved) as exc:
            result.fail(where, str(exc))
        except ActionError as exc:
            result.fail(where, exc.message)
        except Exception:  # one row must never end the import, whatever happens to it
            logger.exception("Import of %s for %s: line %s failed", kind, account.handle, line)
            result.fail(where, "an unexpected error; this row was not imported")
        if progress is not None:
            progress(i, len(rows))
    return result
