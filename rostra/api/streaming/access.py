"""Who is connecting: the token from a header, the query string or the WebSocket protocol.

Mastodon apps send the token as ``Authorization: Bearer``, as ``access_token`` in the query
(browsers cannot set headers on an EventSource or a WebSocket), or as the
``Sec-WebSocket-Protocol`` value (so it stays out of access logs). The lookup is the API's
own ``auth.caller_for``, run on a thread since it reads the database.
"""

import asyncio
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs

from django.db import close_old_connections

from .streams import StreamError

# Database work a connection waits for (the token, at connect time): a few threads are plenty.
_executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="rostra-stream-db")


def header(scope, name):
    name = name.encode("latin-1")
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None


def query(scope):
    """The query string as a dict of last values (Mastodon reads single values)."""
    parsed = parse_qs(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
    return {key.removesuffix("[]"): values[-1] for key, values in parsed.items()}


def token_of(scope, params):
    """(token, from_protocol): where the token came from matters to the WebSocket handshake."""
    authorization = header(scope, "authorization") or ""
    if authorization[:7].lower() == "bearer ":
        return authorization[7:].strip() or None, False
    if params.get("access_token"):
        return params["access_token"], False
    protocol = header(scope, "sec-websocket-protocol")
    if scope["type"] == "websocket" and protocol:
        return protocol.split(",")[0].strip() or None, True
    return None, False


def _lookup(token):
    from rostra.api.auth import caller_for

    close_old_connections()
    return caller_for(token)


async def run_in_thread(func, *args):
    return await asyncio.get_running_loop().run_in_executor(_executor, func, *args)


async def authenticate(token):
    """The Caller for ``token``, or StreamError(401). Every stream needs a token.

    Mastodon can be configured to stream public timelines to anyone; Rostra does not: an
    anonymous firehose is how Parler's posts were scraped wholesale.
    """
    if not token:
        raise StreamError(401, "Missing access token")
    caller = await run_in_thread(_lookup, token)
    if caller is None:
        raise StreamError(401, "Invalid access token")
    if caller.account is not None and caller.account.is_suspended:
        raise StreamError(401, "Your login is currently disabled")
    return caller
