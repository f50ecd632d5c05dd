"""The ActivityPub ids of this server's things, and the way back from an id to the thing.

An actor's id is its profile page and a post's id is its thread page (``/@alice``,
``/@alice/<id>``): the same URL answers a browser with HTML and another server with JSON.
"""

import re

from rostra.core.site import base_url

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
PUBLIC_ALIASES = {PUBLIC, "as:Public", "Public"}

_LOCAL_PATH = re.compile(r"^/@(?P<username>[A-Za-z0-9_]{1,30})(?:/(?P<post_id>\d{1,20}))?/?$")


def actor(account):
    return f"{base_url()}/@{account.username}" if account.is_local else account.uri


def key_id(account):
    return actor(account) + "#main-key"


def inbox(account):
    return actor(account) + "/inbox"


def outbox(account):
    return actor(account) + "/outbox"


def followers(account):
    return actor(account) + "/followers"


def following(account):
    return actor(account) + "/following"


def featured(account):
    return actor(account) + "/featured"


def shared_inbox():
    return f"{base_url()}/inbox"


def instance_actor():
    return f"{base_url()}/actor"


def post(post):
    """A post's id: its thread page here, or the id its own server gave it."""
    return f"{base_url()}/@{post.author.username}/{post.pk}" if post.author.is_local else post.uri


def activity(account, kind, ref):
    """An id for an activity of ``account`` that has no page of its own (a Like, a Follow...)."""
    return f"{actor(account)}#{kind}/{ref}"


def is_local(uri):
    return isinstance(uri, str) and (uri == base_url() or uri.startswith(base_url() + "/"))


def parse_local(uri):
    """(username, post id or None) for an id of this server's actors and posts, else None."""
    if not is_local(uri):
        return None
    path = uri[len(base_url()) :].split("#", 1)[0].split("?", 1)[0]
    match = _LOCAL_PATH.match(path)
    if not match:
        return None
    post_id = match.group("post_id")
    return match.group("username"), int(post_id) if post_id else None
