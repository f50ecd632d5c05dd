"""Streams as server-sent events: ``GET /api/v1/streaming/user`` and its siblings.

The format is Mastodon's: ``event: update`` and ``data: <payload>`` per event, and a
``:thump`` comment every HEARTBEAT seconds so proxies and phones keep an idle stream open.
"""

import asyncio
import os

from . import access, responses
from .hub import Closed, Connection, hub
from .streams import StreamError, Subscription, check_access

HEARTBEAT = float(os.environ.get("ROSTRA_STREAMING_HEARTBEAT", "15"))


def encode(items):
    return "".join(f"event: {event}\ndata: {payload}\n\n" for _, event, payload in items).encode("utf-8")


async def _watch(receive, connection):
    """ASGI says a client went away by ``http.disconnect``; close the stream then."""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            connection.close("The client went away")
            return


async def serve(scope, receive, send, name, tag):
    token, _ = access.token_of(scope, access.query(scope))
    try:
        caller = await access.authenticate(token)
        check_access(caller, name)
    except StreamError as e:
        return await responses.error(send, e.status, e.message)
    connection = Connection()
    sub = Subscription(connection, name, tag, caller, token)
    try:
        await hub.add(sub)
    except asyncio.TimeoutError:
        return await responses.error(send, 503, "Streaming is not available right now")
    hub.track(connection)
    watcher = asyncio.ensure_future(_watch(receive, connection))
    try:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"text/event-stream; charset=utf-8"),
                    (b"cache-control", b"no-store"),
                    # nginx would otherwise hold events back to fill its buffer.
                    (b"x-accel-buffering", b"no"),
                    *responses.CORS,
                ],
            }
        )
        await send({"type": "http.response.body", "body": b":)\n", "more_body": True})
        while True:
            try:
                items = await connection.next(HEARTBEAT)
            except Closed:
                break
            chunk = encode(items) if items else b":thump\n"
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
    except (OSError, RuntimeError):
        pass  # The client went away while we wrote (servers say so differently).
    finally:
        hub.remove(sub)
        hub.untrack(connection)
        watcher.cancel()
        try:
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except Exception:
            pass
