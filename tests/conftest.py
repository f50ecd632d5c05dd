"""Fixtures shared by every test: a clean database and cache per test, people, a real server."""

import os

import pytest
from django.core.cache import cache

from tests.helpers import make_user  # noqa: F401  (re-exported for tests)
from tests.server import live_rostra  # noqa: F401  (the session's real server)

pytest_plugins = []


def pytest_collection_modifyitems(items):
    """Every test gets a database that really commits, so after-commit work runs as in production."""
    for item in items:
        if not any(m.name == "django_db" for m in item.iter_markers()):
            item.add_marker(pytest.mark.django_db(transaction=True))


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _empty_search_index(django_db_blocker):
    """The flush between tests empties every model's table, but SQLite's FTS5 index is no model."""
    yield
    from rostra.posts.search import forget_everything

    with django_db_blocker.unblock():
        forget_everything()


@pytest.fixture
def alice(db):
    return make_user("alice")


@pytest.fixture
def bob(db):
    return make_user("bob")


@pytest.fixture
def carol(db):
    return make_user("carol")


def in_ci():
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def pytest_unconfigure(config):
    """pytest-django deletes the SQLite test database, but not its WAL and shared-memory files."""
    from django.conf import settings

    name = settings.DATABASES["default"].get("TEST", {}).get("NAME")
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3") and name:
        for suffix in ("-wal", "-shm"):
            try:
                os.remove(f"{name}{suffix}")
            except FileNotFoundError:
                pass
