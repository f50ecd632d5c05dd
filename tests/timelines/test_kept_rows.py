"""Rows read by hand-written SQL keep their converted values per process (``rawrows``);
what a reader sees must still be what is stored now, and never shared between readers."""

from rostra.accounts import actions as accounts
from rostra.posts import actions as posts
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
    assert seen.created_at.tzinfo is not None


def test_readers_never_share_a_mutable_value(alice, bob):
    accounts.follow(alice, bob)
    accounts.update_profile(bob, links=[["Site", "https://one.example"]])
    posts.create_post(bob, "Links")
    first = _first(alice)
    first.author.links.append(["Injected", "https://evil.example"])
    second = _first(alice)
    assert second.author is not first.author
    assert second.author.links == [["Site", "https://one.example"]]
