"""Plain ASGI answers the streaming app gives outside a stream: JSON errors, health, CORS."""

import json

# Web apps (Elk, Phanpy, Mastodon's own) open streams from another origin.
CORS = [
    (b"access-control-allow-origin", b"*"),
    (b"access-control-allow-headers", b"Authorization, Content-Type"),
    (b"access-control-allow-methods", b"GET, OPTIONS"),
]


async def plain(send, status, body, content_type=b"text/plain; charset=utf-8", headers=()):
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", content_type), (b"cache-control", b"no-store"), *CORS, *headers],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def error(send, status, message):
    body = json.dumps({"error": message}).encode()
    await plain(send, status, body, b"application/json; charset=utf-8")
