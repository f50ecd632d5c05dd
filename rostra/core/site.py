"""This server's own address, as other servers and apps must see it."""

from django.conf import settings
from django.utils.functional import empty

_base = (None, "")


def base_url():
    """``http(s)://ROSTRA_DOMAIN``. Worked out once per settings object (``override_settings``
    makes a new one): a feed page asks a few hundred times, and each read of a setting costs."""
    global _base
    holder = settings._wrapped
    if holder is empty:
        return f"{'https' if settings.ROSTRA_HTTPS else 'http'}://{settings.ROSTRA_DOMAIN}"
    if _base[0] is not holder:
        _base = (holder, f"{'https' if holder.ROSTRA_HTTPS else 'http'}://{holder.ROSTRA_DOMAIN}")
    return _base[1]


def absolute(url):
    """A path on this server as a full URL; full URLs pass through."""
    if not url:
        return url
    if url.startswith("/"):
        return base_url() + url
    return url
