"""Time-ordered, random-tailed 64-bit IDs.

Parler's posts had sequential IDs, so anyone could walk the whole site by counting. Rostra's
IDs put the milliseconds since 2010 in the high 41 bits (so they sort by time and index
well) and 22 random bits below, so knowing one ID tells you nothing about its neighbours.
"""

import secrets
import threading
import time
from datetime import datetime, timezone

EPOCH_MS = 1_262_304_000_000  # 2010-01-01T00:00:00Z
RANDOM_BITS = 22
RANDOM_MASK = (1 << RANDOM_BITS) - 1

_lock = threading.Lock()
_issued = {}  # millisecond -> tails already issued in this process during that ms


def new_id(at=None):
    """A fresh ID for now, or for ``at`` (a datetime or epoch milliseconds)."""
    if at is None:
        ms = int(time.time() * 1000)
    elif isinstance(at, datetime):
        ms = int(at.timestamp() * 1000)
    else:
        ms = int(at)
    ms = max(ms - EPOCH_MS, 0)
    with _lock:
        tails = _issued.get(ms)
        if tails is None:
            if len(_issued) > 64:
                _issued.clear()
            tails = _issued[ms] = set()
        while True:
            tail = secrets.randbits(RANDOM_BITS)
            if tail not in tails:
                tails.add(tail)
                break
    return (ms << RANDOM_BITS) | tail


def id_time(value):
    """The moment an ID was made (its high bits), as an aware datetime."""
    ms = (int(value) >> RANDOM_BITS) + EPOCH_MS
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc)


def lowest_id_at(at):
    """The smallest ID any row made at ``at`` can have; for time-window range scans."""
    ms = max(int(at.timestamp() * 1000) - EPOCH_MS, 0)
    return ms << RANDOM_BITS


class IdGenerator:
    """IDs for bulk seeding: unique within the run, spread over a time range, no lock."""

    def __init__(self):
        self._seen = set()

    def at(self, ms):
        ms = max(int(ms) - EPOCH_MS, 0)
        while True:
            value = (ms << RANDOM_BITS) | secrets.randbits(RANDOM_BITS)
            if value not in self._seen:
                self._seen.add(value)
                return value
