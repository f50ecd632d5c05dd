"""The streaming process's ASGI application: a router over four kinds of request.

``/api/v1/streaming/health`` answers ``OK``; a WebSocket at ``/api/v1/streaming`` is the
multiplexed stream; ``GET /api/v1/streaming/<stream path>`` (or ``?stream=``) is one stream
as server-sent events. Django is used for its ORM and settings only, not its request
handling: a stream is a long-lived coroutine, not a view.
"""

import asyncio
import signal
import threading

from . import access, responses, sse, websocket
from .hub import hub
from .streams import PATHS, StreamError, resolve

PREFIX = "/api/v1/streaming"


async def application(scope, receive, send):
    kind = scope["type"]
    if kind == "lifespan":
        return await _lifespan(receive, send)
    path = scope.get("path", "").rstrip("/")
    if kind == "websocket":
        if path != PREFIX:
            return await websocket.deny(scope, send, 404, "Not found")
        return await websocket.serve(scope, receive, send)
    if kind != "http":
        return
    method = scope.get("method", "GET")
    if path == PREFIX + "/health":
        return await responses.plain(send, 200, b"OK" if method != "HEAD" else b"")
    if not (path == PREFIX or path.startswith(PREFIX + "/")):
        return await responses.error(send, 404, "Not found")
    if method == "OPTIONS":
        return await responses.plain(send, 204, b"")
    if method != "GET":
        return await responses.error(send, 405, "Method not allowed")
    params = access.query(scope)
    name = params.get("stream") if path == PREFIX else PATHS.get(path[len(PREFIX) + 1 :])
    if name is None:
        return await responses.error(send, 404, "Unknown stream type")
    only_media = str(params.get("only_media", "")).lower() in ("1", "true", "t", "on", "yes")
    try:
        name, tag = resolve(name, params.get("tag"), only_media=only_media)
    except StreamError as e:
        return await responses.error(send, e.status, e.message)
    return await sse.serve(scope, receive, send, name, tag)


async def _lifespan(receive, send):
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            _end_streams_on_stop(asyncio.get_running_loop())
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            hub.shutdown()
            await send({"type": "lifespan.shutdown.complete"})
            return


def _end_streams_on_stop(loop):
    """On SIGTERM or SIGINT, end every open stream, so the server can finish stopping.

    granian stops a worker gracefully: it waits for open requests before it runs the
    lifespan shutdown, and a stream never ends by itself. This handler runs first and closes
    them (clients reconnect, to another process or the restarted one). The handler it
    replaces is called too; where the loop handles signals, the signal still reaches it.
    """
    if threading.current_thread() is not threading.main_thread():
        return
    for sig in (signal.SIGTERM, signal.SIGINT):
        previous = signal.getsignal(sig)

        def handler(signum, frame, previous=previous):
            loop.call_soon_threadsafe(hub.shutdown)
            if callable(previous):
                previous(signum, frame)

        signal.signal(sig, handler)
