"""The WSGI application granian serves."""

import os

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


application = drain_unread_bodies(get_wsgi_application())
