"""On PostgreSQL the reads every page makes are planned once per connection, not per page."""

import pytest
from django.db import connection

from rostra.accounts import actions as accounts
from rostra.posts import actions
from rostra.timelines import queries
from tests.helpers import make_user

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's prepared statements")


def _prepared():
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_the_home_feed_query_is_prepared_and_reads_the_same(alice, bob):
    accounts.follow(alice, bob)
    written = [actions.create_post(bob, f"Number {n} #prepared").pk for n in range(3)]
    first = [p.pk for p in queries.home_feed(alice).items]
    again = [p.pk for p in queries.home_feed(alice).items]
    assert first == again == list(reversed(written))
    assert any("timelines_feedentry" in statement for statement in _prepared())
    # A cursor on the other side of a page: the same prepared statement, other parameters.
    older = [p.pk for p in queries.home_feed(alice, max_id=written[2]).items]
    assert older == [written[1], written[0]]


def test_the_orm_is_still_bound_client_side(alice):
    make_user("carol")
    before = set(_prepared())
    list(type(alice).objects.filter(username__in=["alice", "carol"]))
    assert set(_prepared()) == before
