"""Enqueueing background work only once the change that asked for it is committed."""

from functools import partial

from django.db import transaction


def enqueue_on_commit(task, *args, **kwargs):
    """Enqueue ``task`` after the current transaction commits (at once outside one).

    A worker must never pick up a task for a row it cannot see yet, and a rolled-back
    change must not leave work behind.
    """
    transaction.on_commit(partial(task.enqueue, *args, **kwargs))
