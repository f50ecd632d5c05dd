"""Run bovine-herd (PyPI ``bovine-herd==0.5.19``) as a loopback federation peer.

This file runs inside the bovine virtual environment (``.venv-bovine``), never
inside Rostra's own environment. ``peer.py`` starts it as a subprocess; it can
also be run by hand::

    cd DATA_DIR && /work/main/.venv-bovine/bin/python \\
        /work/main/tests/federation/bovine/serve.py --port 8123 \\
        --db sqlite://$PWD/bovine.sqlite3

It builds the minimal bovine-herd application (a Quart app handed to
``bovine_herd.BovineHerd``) and serves it with Hypercorn on plain HTTP.
SIGTERM or SIGINT shut it down cleanly.

Two things are added around the stock application, both for tests only:

* JSON-LD contexts are never fetched from the internet. bovine resolves
  context URLs with ``requests`` and caches the result in
  ``./bovine_jsonld_cache.sqlite`` (relative to the working directory);
  ``peer.py`` pre-fills that cache, and here the remote loader is replaced by
  one that only reaches loopback addresses.
* With ``--wire-log FILE`` every HTTP request bovine receives or sends is
  appended to FILE as one JSON line (method, URL, headers, status), so a test
  can see exactly what bovine put on the wire.
"""

import argparse
import asyncio
import json
import logging
import os
import sys
import time
from urllib.parse import urlparse

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument(
        "--db",
        default=os.environ.get("BOVINE_DB_URL", "sqlite://bovine.sqlite3"),
        help="tortoise-orm database URL, e.g. sqlite:///abs/path/bovine.sqlite3 "
        "or postgres://postgres@127.0.0.1:5432/bovine",
    )
    parser.add_argument("--wire-log", default=None, help="JSON-lines request log")
    parser.add_argument("--log-level", default="INFO")
    return parser.parse_args(argv)


def offline_jsonld():
    """Make bovine's JSON-LD document loader refuse non-loopback URLs.

    bovine.jsonld.wrapper() calls requests_document_loader(timeout=60)(url, ...)
    for every context URL that is not built in and not in the sqlite cache;
    when that raises, bovine falls back to an empty context. We keep that
    behaviour but make sure nothing leaves the machine.
    """
    import bovine.jsonld
    from bovine.utils.pyld_requests import requests_document_loader

    def loopback_only_loader(**kwargs):
        real = requests_document_loader(**kwargs)

        def loader(url, options=None):
            host = urlparse(url).hostname or ""
            if host not in LOOPBACK_HOSTS:
                raise RuntimeError(f"offline: refusing to fetch JSON-LD context {url}")
            return real(url, options or {})

        return loader

    bovine.jsonld.requests_document_loader = loopback_only_loader


class WireLog:
    def __init__(self, path):
        self.path = path

    def write(self, record):
        record["t"] = round(time.time(), 3)
        with open(self.path, "a", encoding="utf-8") as fp:
            fp.write(json.dumps(record) + "\n")


def build_app(db_url, wire_log):
    import aiohttp
    from bovine_herd import BovineHerd
    from quart import Quart, request

    app = Quart("bovine_peer")

    if wire_log:

        async def on_headers_sent(session, ctx, params):
            ctx.record = {
                "dir": "out",
                "method": params.method,
                "url": str(params.url),
                "headers": dict(params.headers),
            }

        async def on_request_end(session, ctx, params):
            record = getattr(ctx, "record", None) or {
                "dir": "out",
                "method": params.method,
                "url": str(params.url),
                "headers": dict(params.headers),
            }
            record["status"] = params.response.status
            wire_log.write(record)

        async def on_request_exception(session, ctx, params):
            wire_log.write(
                {
                    "dir": "out",
                    "method": params.method,
                    "url": str(params.url),
                    "exception": repr(params.exception),
                }
            )

        trace = aiohttp.TraceConfig()
        trace.on_request_headers_sent.append(on_headers_sent)
        trace.on_request_end.append(on_request_end)
        trace.on_request_exception.append(on_request_exception)

        # Registered before BovineHerd(), so it runs first; BovineHerd only
        # creates its own aiohttp session when app.config has none.
        @app.before_serving
        async def traced_session():
            app.config["session"] = aiohttp.ClientSession(trace_configs=[trace])

        @app.before_request
        async def log_incoming():
            body = await request.get_data()
            request._wire_record = {
                "dir": "in",
                "method": request.method,
                "url": request.url,
                "headers": dict(request.headers),
                "body": body.decode("utf-8", "replace")[:4000],
            }

        @app.after_request
        async def log_incoming_status(response):
            record = getattr(request, "_wire_record", None)
            if record is not None:
                record["status"] = response.status_code
                wire_log.write(record)
            return response

    BovineHerd(app, db_url=db_url)

    @app.get("/_peer/health")
    async def health():
        return {"status": "ok"}

    return app


def main(argv=None):
    args = parse_args(argv)
    logging.basicConfig(
        level=getattr(logging, args.log_level.upper()),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    offline_jsonld()

    from hypercorn.asyncio import serve
    from hypercorn.config import Config

    wire_log = WireLog(os.path.abspath(args.wire_log)) if args.wire_log else None
    app = build_app(args.db, wire_log)

    config = Config()
    config.bind = [f"{args.host}:{args.port}"]
    config.accesslog = "-"
    config.graceful_timeout = 3
    # serve() installs SIGINT/SIGTERM handlers that trigger a graceful shutdown
    asyncio.run(serve(app, config))


if __name__ == "__main__":
    main()
