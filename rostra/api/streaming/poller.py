"""One thread per streaming process that finds what is new and who should hear of it.

Every ``interval`` seconds it reads, by time-ordered IDs (``core.ids``), the rows of the last
few minutes: published public posts (for public and hashtag streams), home-feed entries and
notifications of the people connected, and ``api.StreamEvent`` rows (deletions, edits).
What it has not seen before is new. Reading a window rather than "after the last ID" is what
makes this safe on PostgreSQL, where a row with a smaller ID can commit after one with a
larger ID; a window of minutes also covers a task worker that is running behind.

A subscription first takes part in one cycle without receiving anything (its baseline: what
exists then is old to it); its ``ready`` future is resolved after that, so an event that
happens once a client is connected reaches it, and nothing from before is replayed.

All database work happens on this thread, never on the event loop. The cost of a cycle does
not grow with the number of connections, only with what changed and how many distinct
people are connected (the IN lists of two indexed queries).
"""

import logging
import os
import threading
import time
from datetime import timedelta

from django.db import close_old_connections, connections
from django.utils import timezone

from rostra.accounts.models import Follow
from rostra.api.auth import caller_for
from rostra.api.models import StreamEvent
from rostra.core.ids import lowest_id_at
from rostra.posts.models import Post, PostHashtag, PostState, Visibility
from rostra.posts.queries import blocked_ids, forget_relations, hidden_by_viewer
from rostra.timelines.models import FeedEntry, Notification

from . import render, streams

log = logging.getLogger(__name__)

WINDOW_POSTS = timedelta(minutes=1)
WINDOW_FEED = timedelta(minutes=10)
WINDOW_NOTIFICATIONS = timedelta(minutes=10)
WINDOW_EVENTS = timedelta(minutes=5)
RELATIONS_TTL = 10  # seconds a viewer's blocks, mutes and muted words are trusted
# Seconds between checks that open streams' tokens still work (a revoked token, a suspended
# account): one token lookup per distinct token, so rare enough to cost nothing.
TOKENS_EVERY = float(os.environ.get("ROSTRA_STREAMING_TOKEN_CHECK", "60"))
OPEN = ("public", "unlisted")


class Poller:
    def __init__(self, hub, interval=0.5):
        self.hub = hub
        self.interval = interval
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = None
        self._seen = {"posts": set(), "feed": set(), "notifications": set(), "events": set()}
        self._tokens_checked = time.monotonic()
        self._cycles = 0

    def start(self):
        self._thread = threading.Thread(target=self._run, name="rostra-stream-poller", daemon=True)
        self._thread.start()

    def alive(self):
        return self._thread is not None and self._thread.is_alive() and not self._stop.is_set()

    def wake(self):
        self._wake.set()

    def stop(self):
        self._stop.set()
        self._wake.set()

    def _run(self):
        while not self._stop.is_set():
            self._wake.wait(self.interval)
            self._wake.clear()
            if self._stop.is_set():
                break
            subs = self.hub.snapshot()
            if not subs:
                continue
            try:
                close_old_connections()
                deliveries, closing = self.cycle(subs)
            except Exception:
                # The database went away, or a bug: new subscriptions wait (and time out),
                # open ones hear nothing this time; the next cycle tries again.
                log.exception("The stream poller failed; trying again")
                connections.close_all()
                time.sleep(1)
                continue
            activated = [s for s in subs if not s.active]
            for sub in activated:
                sub.active = True
            self.hub.publish(deliveries, closing, activated)
        connections.close_all()

    # One cycle ------------------------------------------------------------------------

    def cycle(self, subs):
        """(deliveries, connections to close) for the subscriptions open now."""
        now = timezone.now()
        live = [s for s in subs if s.active]
        out = []
        if any(s.name in streams.PUBLIC or s.name in streams.HASHTAG for s in subs):
            out += self._public_posts(now, live)
        user_accounts = {s.viewer.pk for s in subs if s.name == "user"}
        if user_accounts:
            out += self._feed_entries(now, user_accounts, live)
        note_accounts = {s.viewer.pk for s in subs if s.notifications}
        if note_accounts:
            out += self._notifications(now, note_accounts, live)
        out += self._events(now, live, user_accounts)
        self._cycles += 1
        if self._cycles % 20 == 0:
            self._forget_old(now)
        return out, self._revoked(subs)

    def _new(self, kind, keys):
        """Of ``keys``, those not seen before; all of them are seen from now on."""
        seen = self._seen[kind]
        fresh = [k for k in keys if k not in seen]
        seen.update(fresh)
        return fresh

    def _forget_old(self, now):
        for kind, window, key in (
            ("posts", WINDOW_POSTS, lambda k: k),
            ("feed", WINDOW_FEED, lambda k: k[1]),
            ("notifications", WINDOW_NOTIFICATIONS, lambda k: k[1]),
            ("events", WINDOW_EVENTS, lambda k: k),
        ):
            low = lowest_id_at(now - window - timedelta(minutes=1))
            self._seen[kind] = {k for k in self._seen[kind] if key(k) >= low}

    # Public and hashtag streams -------------------------------------------------------

    def _public_posts(self, now, live):
        ids = Post.objects.filter(
            id__gte=lowest_id_at(now - WINDOW_POSTS), state=PostState.PUBLISHED, visibility=Visibility.PUBLIC
        ).values_list("id", flat=True)
        fresh = self._new("posts", list(ids))
        wanted = [s for s in live if s.name in streams.PUBLIC or s.name in streams.HASHTAG]
        if not fresh or not wanted:
            return []
        posts = render.fetch_posts(fresh)
        tags = _tags_of(posts)
        rendered = render.statuses(posts.values())
        out = []
        for pk in sorted(posts):
            post = posts[pk]
            for sub in wanted:
                if _on_stream(sub, post, tags.get(pk, ())) and _viewer_accepts(sub.viewer, post):
                    out.append((sub, "update", rendered[pk]))
        return out

    # The user stream: home feed and notifications -------------------------------------

    def _feed_entries(self, now, accounts, live):
        rows = FeedEntry.objects.filter(
            account_id__in=accounts, post_id__gte=lowest_id_at(now - WINDOW_FEED)
        ).values_list("account_id", "post_id")
        fresh = self._new("feed", list(rows))
        by_account = {}
        for sub in live:
            if sub.name == "user":
                by_account.setdefault(sub.viewer.pk, []).append(sub)
        fresh = [(a, p) for a, p in fresh if a in by_account]
        if not fresh:
            return []
        posts = render.fetch_posts({p for _, p in fresh})
        rendered = render.statuses(posts.values())
        out = []
        for account_id, post_id in sorted(fresh, key=lambda pair: pair[1]):
            post = posts.get(post_id)
            if post is None:
                continue
            for sub in by_account[account_id]:
                if _in_home(sub.viewer, post):
                    out.append((sub, "update", rendered[post_id]))
        return out

    def _notifications(self, now, accounts, live):
        ids = Notification.objects.filter(
            recipient_id__in=accounts, id__gte=lowest_id_at(now - WINDOW_NOTIFICATIONS)
        ).values_list("recipient_id", "id")
        fresh = self._new("notifications", list(ids))
        listeners = {}
        for sub in live:
            if sub.notifications:
                listeners.setdefault(sub.viewer.pk, []).append(sub)
        wanted = {}
        for recipient_id, pk in fresh:
            if recipient_id in listeners:
                wanted.setdefault(recipient_id, []).append(pk)
        out = []
        for recipient_id, pks in wanted.items():
            subs = listeners[recipient_id]
            for _, payload in render.notifications(subs[0].viewer, pks):
                out += [(sub, "notification", payload) for sub in subs]
        return out

    # Deletions and edits --------------------------------------------------------------

    def _events(self, now, live, user_accounts):
        rows = StreamEvent.objects.filter(id__gte=lowest_id_at(now - WINDOW_EVENTS)).values_list(
            "id", "kind", "post_id", "author_id", "visibility", "mentioned"
        )
        rows = {row[0]: row for row in rows}
        fresh = sorted(self._new("events", list(rows)))
        if not fresh or not live:
            return []
        deletes = [rows[i] for i in fresh if rows[i][1] == "delete"]
        edits = [rows[i] for i in fresh if rows[i][1] == "edit"]
        out = []
        if deletes:
            out += self._deletes(deletes, live, user_accounts)
        if edits:
            out += self._edits({row[2] for row in edits}, live, user_accounts)
        return out

    def _deletes(self, rows, live, user_accounts):
        """``delete`` to every stream that may have shown the post, and to no one else.

        A public or unlisted post's ID is no secret; a followers-only or direct post's is
        told only to its author, the author's followers and the people it mentioned.
        """
        private = [row for row in rows if row[4] not in OPEN]
        followers = set()
        if private and user_accounts:
            followers = set(
                Follow.objects.filter(
                    target_id__in={row[3] for row in private}, follower_id__in=user_accounts
                ).values_list("follower_id", "target_id")
            )
        out = []
        for _, _, post_id, author_id, visibility, mentioned in rows:
            for sub in live:
                if sub.name == "user:notification":
                    continue
                if visibility not in OPEN:
                    if sub.name != "user":
                        continue
                    viewer = sub.viewer.pk
                    if viewer != author_id and viewer not in (mentioned or ()) and (viewer, author_id) not in followers:
                        continue
                out.append((sub, "delete", str(post_id)))
        return out

    def _edits(self, post_ids, live, user_accounts):
        """``status.update`` where the post was shown; ``delete`` where an edit took it away."""
        posts = render.fetch_posts(post_ids)
        if not posts:
            return []
        tags = _tags_of(posts)
        in_feeds = set()
        if user_accounts:
            in_feeds = set(
                FeedEntry.objects.filter(post_id__in=list(posts), account_id__in=user_accounts).values_list(
                    "account_id", "post_id"
                )
            )
        rendered = render.statuses(posts.values())
        out = []
        for pk, post in sorted(posts.items()):
            for sub in live:
                viewer = sub.viewer
                if sub.name == "user":
                    shown = (viewer.pk, pk) in in_feeds
                elif sub.name in streams.PUBLIC or sub.name in streams.HASHTAG:
                    shown = _on_stream(sub, post, tags.get(pk, ()), published_only=False)
                else:
                    shown = False
                if not shown:
                    continue
                if post.state == PostState.PUBLISHED or (viewer is not None and viewer.pk == post.author_id):
                    if _viewer_accepts(viewer, post):
                        out.append((sub, "status.update", rendered[pk]))
                else:
                    out.append((sub, "delete", str(pk)))
        return out

    # Tokens ---------------------------------------------------------------------------

    def _revoked(self, subs):
        """Connections whose token was revoked or whose account was suspended since they opened."""
        if time.monotonic() - self._tokens_checked < TOKENS_EVERY:
            return []
        self._tokens_checked = time.monotonic()

        closing, verdicts = [], {}
        for sub in subs:
            if sub.token not in verdicts:
                caller = caller_for(sub.token)
                verdicts[sub.token] = caller is not None and not (caller.account is not None and caller.account.is_suspended)
            if not verdicts[sub.token]:
                closing.append((sub.connection, "The access token is no longer valid"))
        return closing


# Rules, in memory, for one post and one subscription ------------------------------------


def _tags_of(posts):
    """{post id: set of tag names} for the public hashtag uses of these posts."""
    tags = {}
    rows = PostHashtag.objects.filter(post_id__in=list(posts), public=True).values_list("post_id", "hashtag__name")
    for post_id, name in rows:
        tags.setdefault(post_id, set()).add(name)
    return tags


def _on_stream(sub, post, tags, published_only=True):
    """Whether ``post`` belongs on ``sub``'s public or hashtag stream (the timelines' rules)."""
    if post.visibility != Visibility.PUBLIC or (published_only and post.state != PostState.PUBLISHED):
        return False
    local = post.author.domain is None
    name = sub.name
    if name in streams.HASHTAG:
        return sub.tag in tags and (local or name != "hashtag:local")
    # Public timelines list top-level posts only, no echoes (``timelines.queries``).
    if post.in_reply_to_id or post.thread_root_id or post.echo_of_id:
        return False
    if ":local" in name and not local:
        return False
    if ":remote" in name and local:
        return False
    if name.endswith(":media") and not post.has_media:
        return False
    return True


def _fresh_relations(viewer):
    """Blocks, mutes and muted words are read again when older than RELATIONS_TTL."""
    now = time.monotonic()
    if now - getattr(viewer, "_stream_relations_at", 0) > RELATIONS_TTL:
        forget_relations(viewer)
        viewer._stream_relations_at = now


def _viewer_accepts(viewer, post):
    """Nothing through a block either way, nothing the viewer muted (people or words)."""
    if viewer is None:
        return True

    _fresh_relations(viewer)
    blocked = blocked_ids(viewer)
    if post.author_id in blocked or (post.echo_of_id and post.echo_of and post.echo_of.author_id in blocked):
        return False
    return not hidden_by_viewer(viewer, post)


def _in_home(viewer, post):
    """A home-feed entry still to be shown: the home feed's own re-check, in memory."""
    if post.state != PostState.PUBLISHED and post.author_id != viewer.pk:
        return False
    if post.echo_of_id and (post.echo_of is None or post.echo_of.state != PostState.PUBLISHED):
        return False
    return _viewer_accepts(viewer, post)
