"""Rows read by hand-written SQL keep their converted values per process (``rawrows``);
what a reader sees must still be what is stored now, and never shared between readers."""

from datetime import timedelta

from rostra.accounts import actions as accounts
from rostra.posts import actions as posts
from rostra.posts.models import Post
from rostra.timelines import queries


def _first(viewer):
    return queries.home_feed(viewer).items[0]


def test_a_changed_author_or_counter_shows_on_the_next_read(alice, bob):
    accounts.follow(alice, bob)
    accounts.update_profile(bob, display_name="Bob Before", links=[["Site", "https://before.example"]])
    post = posts.create_post(bob, "Counted")
    seen = _first(alice)
    assert (seen.author.display_name, seen.votes_count, seen.author.links) == (
        "Bob Before", 0, [["Site", "https://before.example"]])

    accounts.update_profile(bob, display_name="Bob After", links=[["Site", "https://after.example"]])
    posts.vote(alice, post)
    seen = _first(alice)
    assert (seen.author.display_name, seen.votes_count, seen.author.links) == (
        "Bob After", 1, [["Site", "https://after.example"]])
    # Dates read as text come back as the ORM gives them: equal, aware, in UTC.
    stored = Post.objects.select_related("author").get(pk=post.pk)
    assert (seen.created_at, seen.author.created_at) == (stored.created_at, stored.author.created_at)
    assert seen.created_at.utcoffset() == timedelta(0) and seen.created_at.microsecond == stored.created_at.microsecond


def test_readers_never_share_a_mutable_value(alice, bob):
    accounts.follow(alice, bob)
    accounts.update_profile(bob, links=[["Site", "https://one.example"]])
    posts.create_post(bob, "Links")
    first = _first(alice)
    first.author.links.append(["Injected", "https://evil.example"])
    second = _first(alice)
    assert second.author is not first.author
    assert second.author.links == [["Site", "https://one.example"]]
