"""Streams over one WebSocket: ``/api/v1/streaming?stream=user&access_token=...``.

After the handshake the client may send ``{"type": "subscribe", "stream": "hashtag",
"tag": "x"}`` and ``{"type": "unsubscribe", ...}``; each event arrives as
``{"stream": ["hashtag", "x"], "event": "update", "payload": "<JSON as a string>"}``, as
Mastodon sends it. A bad token is refused in the handshake with a 401.
"""

import asyncio
import json

from . import access
from .hub import Closed, Connection, hub
from .sse import HEARTBEAT
from .streams import StreamError, Subscription, check_access, resolve


async def deny(scope, send, status, message):
    """Refuse the handshake with an HTTP status where the server can (ASGI's extension)."""
    if "websocket.http.response" in (scope.get("extensions") or {}):
        body = json.dumps({"error": message}).encode()
        await send(
            {
                "type": "websocket.http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/json; charset=utf-8")],
            }
        )
        await send({"type": "websocket.http.response.body", "body": body})
    else:
        await send({"type": "websocket.close", "code": 4000 + status})


class Session:
    """One WebSocket's subscriptions, keyed by (stream, tag)."""

    def __init__(self, caller, token):
        self.caller = caller
        self.token = token
        self.connection = Connection()
        self.subs = {}

    async def subscribe(self, name, tag):
        if (name, tag) in self.subs:
            return
        sub = Subscription(self.connection, name, tag, self.caller, self.token)
        self.subs[(name, tag)] = sub
        try:
            await hub.add(sub)
        except BaseException:
            self.subs.pop((name, tag), None)
            raise

    def unsubscribe(self, name, tag):
        sub = self.subs.pop((name, tag), None)
        if sub is not None:
            hub.remove(sub)

    def close(self):
        for sub in self.subs.values():
            hub.remove(sub)
        self.subs.clear()


def _error(status, message):
    return json.dumps({"error": message, "status": status})


async def _read(receive, send_text, session):
    """Handle the client's messages until it disconnects."""
    while True:
        message = await receive()
        if message["type"] == "websocket.disconnect":
            session.connection.close("The client went away")
            return
        if message["type"] != "websocket.receive":
            continue
        try:
            request = json.loads(message.get("text") or message.get("bytes") or b"")
            if not isinstance(request, dict):
                raise ValueError
        except ValueError:
            await send_text(_error(400, "Could not parse the message as JSON"))
            continue
        kind = request.get("type")
        if kind not in ("subscribe", "unsubscribe"):
            await send_text(_error(400, f"Unknown message type {kind!r}"))
            continue
        try:
            name, tag = resolve(request.get("stream"), request.get("tag"))
            if kind == "subscribe":
                check_access(session.caller, name)
                await session.subscribe(name, tag)
            else:
                session.unsubscribe(name, tag)
        except StreamError as e:
            await send_text(_error(e.status, e.message))
        except asyncio.TimeoutError:
            await send_text(_error(503, "Streaming is not available right now"))


async def serve(scope, receive, send):
    message = await receive()
    if message["type"] != "websocket.connect":
        return
    params = access.query(scope)
    token, from_protocol = access.token_of(scope, params)
    try:
        caller = await access.authenticate(token)
        first = None
        if params.get("stream"):
            first = resolve(params["stream"], params.get("tag"))
            check_access(caller, first[0])
    except StreamError as e:
        return await deny(scope, send, e.status, e.message)
    session = Session(caller, token)
    if first is not None:
        # Subscribed before the handshake completes: whatever happens once the client is
        # connected reaches it.
        try:
            await session.subscribe(*first)
        except asyncio.TimeoutError:
            return await deny(scope, send, 503, "Streaming is not available right now")
    # A token sent as the protocol must be echoed back, or browsers drop the connection.
    try:
        await send({"type": "websocket.accept", "subprotocol": token if from_protocol else None})
    except BaseException:
        session.close()
        raise
    hub.track(session.connection)
    lock = asyncio.Lock()

    async def send_text(text):
        async with lock:
            await send({"type": "websocket.send", "text": text})

    reader = None
    try:
        reader = asyncio.ensure_future(_read(receive, send_text, session))
        while True:
            try:
                items = await session.connection.next(HEARTBEAT)
            except Closed:
                break
            for sub, event, payload in items:
                await send_text(json.dumps({"stream": sub.key, "event": event, "payload": payload}, ensure_ascii=False))
    except (OSError, RuntimeError, asyncio.TimeoutError):
        pass
    finally:
        session.close()
        hub.untrack(session.connection)
        if reader is not None:
            reader.cancel()
        try:
            await send({"type": "websocket.close", "code": 1000})
        except Exception:
            pass
