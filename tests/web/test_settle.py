"""A warmed-up web process sets its long-lived objects aside from the collector's full passes."""

import gc

from rostra.wsgi import settle_after_warmup


def _hello(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello"]


def test_objects_are_frozen_once_after_the_warmup_requests_and_answers_are_unchanged():
    app = settle_after_warmup(_hello, after=3)
    before = gc.get_freeze_count()
    try:
        answers = [b"".join(app({}, lambda status, headers: None)) for _ in range(2)]
        assert gc.get_freeze_count() == before
        answers.append(b"".join(app({}, lambda status, headers: None)))
        frozen = gc.get_freeze_count()
        assert frozen > before
        # Later requests freeze nothing more.
        kept = [object() for _ in range(10)]
        answers += [b"".join(app({}, lambda status, headers: None)) for _ in range(5)]
        assert gc.get_freeze_count() == frozen
        assert answers == [b"hello"] * 8 and kept
    finally:
        gc.unfreeze()
