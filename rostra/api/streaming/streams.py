"""Stream names as Mastodon spells them, what each needs, and one subscription to one.

``user`` is the signed-in person's home feed and notifications, ``user:notification`` the
notifications alone; ``public`` every public top-level post (``:local`` this instance's,
``:remote`` others', ``:media`` with pictures only); ``hashtag`` public posts with a tag
(``hashtag:local`` this instance's only).
"""

import itertools

from rostra.core.html import clean_text

PUBLIC = {
    "public", "public:media", "public:local", "public:local:media", "public:remote", "public:remote:media",
}
HASHTAG = {"hashtag", "hashtag:local"}
USER = {"user", "user:notification"}
ALL = PUBLIC | HASHTAG | USER

# The path of an SSE stream under /api/v1/streaming, and the stream it names.
PATHS = {
    "user": "user",
    "user/notification": "user:notification",
    "public": "public",
    "public/local": "public:local",
    "public/remote": "public:remote",
    "hashtag": "hashtag",
    "hashtag/local": "hashtag:local",
}


class StreamError(Exception):
    """A request for a stream that cannot be had; ``status`` as Mastodon answers it."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


def resolve(name, tag=None, only_media=False):
    """(stream, tag) for a requested stream name, or StreamError.

    ``only_media`` is the SSE form of ``public:media`` (``/public?only_media=true``).
    """
    name = (name or "").strip()
    if only_media and name in ("public", "public:local", "public:remote"):
        name += ":media"
    if name not in ALL:
        raise StreamError(400, "Unknown stream type")
    if name in HASHTAG:
        tag = clean_text(str(tag or "")).strip().lstrip("#").lower()
        if not tag:
            raise StreamError(400, "No tag for stream provided")
        return name, tag[:64]
    return name, None


def check_access(caller, name):
    """Raise StreamError unless ``caller`` (an auth.Caller) may read stream ``name``."""
    needed = "read:notifications" if name == "user:notification" else "read:statuses"
    if not caller.allows(needed):
        raise StreamError(401, "Access token does not have the required scopes")
    if name in USER and caller.account is None:
        raise StreamError(401, "This stream requires an authenticated user")


_ids = itertools.count(1)


class Subscription:
    """One connection's interest in one stream; owned by the hub, read by the poller.

    ``ready`` (a future on the event loop) is resolved by the poller once it has taken the
    subscription into account, so everything that happens after that reaches it.
    """

    __slots__ = ("id", "connection", "name", "tag", "caller", "token", "ready", "active", "notifications")

    def __init__(self, connection, name, tag, caller, token):
        self.id = next(_ids)
        self.connection = connection
        self.name = name
        self.tag = tag
        self.caller = caller
        self.token = token
        self.ready = None
        self.active = False
        # The user stream carries notifications only for a token that may read them.
        self.notifications = name == "user:notification" or (name == "user" and caller.allows("read:notifications"))

    @property
    def viewer(self):
        return self.caller.account

    @property
    def key(self):
        """What Mastodon's WebSocket messages put in ``stream``."""
        return [self.name, self.tag] if self.tag else [self.name]

    def __repr__(self):
        return f"<Subscription {self.id} {self.name}{' #' + self.tag if self.tag else ''}>"
