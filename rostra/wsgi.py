"""The WSGI application granian serves."""

import gc
import os
import threading

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rostra.settings")

# Bodies up to this size that the view left unread are read to the end before answering.
DRAIN_LIMIT = 1024 * 1024


def drain_unread_bodies(app):
    """Read to its end any request body the view did not read, before the answer goes out.

    A view that answers without reading the body (a 404, a 403, a GET that carries one)
    leaves it in the connection. granian (2.8) then sometimes closed that keep-alive
    connection without answering the client's next request on it: 2.6% of the requests
    of the malformed-bodies test and 10% of repeated 404 POSTs were dropped as "server
    disconnected". Draining small bodies keeps the connection sound; bigger unread bodies
    are left (the server closes such a connection after answering, with Connection: close).
    """

    def wrapped(environ, start_response):
        response = app(environ, start_response)
        stream = environ.get("wsgi.input")
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if stream is not None and 0 < length <= DRAIN_LIMIT:
            try:
                while stream.read(65536):
                    pass
            except Exception:  # noqa: BLE001  (a client that went away: nothing left to keep sound)
                pass
        return response

    return wrapped


# Requests a process serves before the objects it has built so far are set aside from the
# garbage collector (templates compiled, URL patterns and caches filled by then).
SETTLE_AFTER = 200


def settle_after_warmup(app, after=SETTLE_AFTER):
    """Freeze the objects of a warmed-up process out of the collector's full passes.

    A web process holds about 100,000 long-lived objects (Django, the models, compiled
    templates). Every so often the collector's oldest-generation pass walked all of them:
    55-85 ms in which the process answered nothing, about once per 1,000 requests, which
    set the 99th percentile of a busy server and cost 3% of its CPU. After ``after``
    requests they are frozen (``gc.freeze``) and those passes take about 1 ms. Reference
    counting still frees everything; only cycles among frozen objects would be kept.
    """
    served = 0
    lock = threading.Lock()

    def wrapped(environ, start_response):
        nonlocal served
        if served <= after:
            with lock:
                served += 1
                if served == after:
                    gc.collect()
                    gc.freeze()
        return app(environ, start_response)

    return wrapped


application = settle_after_warmup(drain_unread_bodies(get_wsgi_application()))
