"""Fixed-window rate limits kept in the cache (Redis when configured, shared by all workers)."""

import time

from django.conf import settings
from django.core.cache import cache


class RateLimited(Exception):
    """Raised when an action has been tried too often; ``retry_after`` is in seconds."""

    def __init__(self, scope, retry_after):
        super().__init__(f"Too many attempts. Try again in {retry_after} seconds.")
        self.scope = scope
        self.retry_after = retry_after


def parse_limit(spec):
    count, _, window = spec.partition("/")
    return int(count), int(window or 60)


def hit(scope, key):
    """Count one attempt of ``scope`` by ``key``; raise RateLimited past the limit."""
    limit, window = parse_limit(settings.ROSTRA_RATE_LIMITS[scope])
    now = int(time.time())
    bucket = now // window
    cache_key = f"rl:{scope}:{key}:{bucket}"
    if cache.add(cache_key, 1, timeout=window + 1):
        count = 1
    else:
        try:
            count = cache.incr(cache_key)
        except ValueError:
            cache.set(cache_key, 1, timeout=window + 1)
            count = 1
    if count > limit:
        raise RateLimited(scope, (bucket + 1) * window - now)
    return limit - count


def client_ip(request):
    """The address of the client; behind a proxy that sets X-Forwarded-For when told to trust it."""
    if getattr(settings, "ROSTRA_TRUST_X_FORWARDED_FOR", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip()
    return request.META.get("REMOTE_ADDR", "unknown")
