"""The ASGI application granian serves for ``rostra streaming``: the streaming API only.

Pages and the REST API stay on WSGI (``rostra.wsgi``), which is several times faster for
short requests; this process holds the long-lived streams.
"""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rostra.settings")
django.setup()

from rostra.api.streaming.app import application  # noqa: E402

__all__ = ["application"]
