"""Mastodon's streaming API, served by its own ASGI process (``rostra streaming``).

The web server is WSGI and answers a request in milliseconds; a stream stays open for hours.
Keeping streams in a separate asyncio process means thousands of idle connections cost a
coroutine each there and nothing in the web server.

How events get here: one poller thread per streaming process (``poller``) reads what is new
every half second, by time-ordered IDs, from the tables the rest of Rostra already writes:
published posts, home-feed entries, notifications, and ``api.StreamEvent`` (deletions and
edits, written by ``record``). It decides, per subscription, what that viewer may see, and
hands the results to the event loop (``hub``), which writes them to each connection as
server-sent events (``sse``) or WebSocket messages (``websocket``). The same code runs on
SQLite and on PostgreSQL; nothing needs Redis.
"""
