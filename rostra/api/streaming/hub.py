"""The event loop's side: open connections, their subscriptions, and handing events out.

The poller thread reads ``snapshot()`` and sends its results back with ``publish``, which
crosses to the loop with ``call_soon_threadsafe``; everything else here runs on the loop.
A connection that cannot keep up (its queue full) is closed rather than allowed to grow
without bound: the app reconnects and reloads its timeline.
"""

import asyncio
import logging
import os
import threading

log = logging.getLogger(__name__)

QUEUE_LIMIT = 1000
READY_TIMEOUT = 15


class Closed(Exception):
    """The connection was closed by the hub (shutdown, revoked token, too slow)."""


class Connection:
    """One client's outgoing queue of (subscription, event, payload)."""

    def __init__(self):
        self.queue = asyncio.Queue(QUEUE_LIMIT)
        self.closed = asyncio.Event()
        self.reason = None

    def push(self, sub, event, payload):
        if self.closed.is_set():
            return
        try:
            self.queue.put_nowait((sub, event, payload))
        except asyncio.QueueFull:
            self.close("The client is not reading its stream fast enough")

    def close(self, reason=None):
        if not self.closed.is_set():
            self.reason = reason
            self.closed.set()

    async def next(self, timeout):
        """The waiting events (a list, at least one), or [] after ``timeout`` seconds; Closed."""
        if self.closed.is_set():
            raise Closed(self.reason)
        if self.queue.empty():
            getting = asyncio.ensure_future(self.queue.get())
            closing = asyncio.ensure_future(self.closed.wait())
            done, pending = await asyncio.wait({getting, closing}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            for task in pending:
                task.cancel()
            if getting not in done:
                if closing in done:
                    raise Closed(self.reason)
                return []
            items = [getting.result()]
        else:
            items = []
        while not self.queue.empty():
            items.append(self.queue.get_nowait())
        return items


class Hub:
    def __init__(self):
        self._subs = {}
        self._lock = threading.Lock()
        self._loop = None
        self._poller = None
        self._connections = set()

    def snapshot(self):
        """The subscriptions now open, for the poller thread."""
        with self._lock:
            return list(self._subs.values())

    def track(self, connection):
        self._connections.add(connection)

    def untrack(self, connection):
        self._connections.discard(connection)

    async def add(self, sub):
        """Open ``sub``; returns once the poller has taken it in (TimeoutError if it cannot)."""
        loop = asyncio.get_running_loop()
        self._loop = loop
        sub.ready = loop.create_future()
        with self._lock:
            self._subs[sub.id] = sub
        self._ensure_poller()
        self._poller.wake()
        try:
            await asyncio.wait_for(asyncio.shield(sub.ready), READY_TIMEOUT)
        except BaseException:
            self.remove(sub)
            raise

    def remove(self, sub):
        with self._lock:
            self._subs.pop(sub.id, None)

    def publish(self, deliveries, closing, activated):
        """From the poller thread: events to hand out, connections to close, subs now live."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._dispatch, deliveries, closing, activated)

    def _dispatch(self, deliveries, closing, activated):
        for sub in activated:
            if sub.ready is not None and not sub.ready.done():
                sub.ready.set_result(True)
        for sub, event, payload in deliveries:
            if sub.id in self._subs:
                sub.connection.push(sub, event, payload)
        for connection, reason in closing:
            connection.close(reason)

    def _ensure_poller(self):
        if self._poller is None or not self._poller.alive():
            from .poller import Poller

            self._poller = Poller(self, interval=float(os.environ.get("ROSTRA_STREAMING_INTERVAL", "0.5")))
            self._poller.start()

    def shutdown(self):
        """Close every connection and stop the poller: the server is going away."""
        for connection in list(self._connections):
            connection.close("The server is restarting")
        if self._poller is not None:
            self._poller.stop()


hub = Hub()
