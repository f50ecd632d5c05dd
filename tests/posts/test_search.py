"""Search: people by name, hashtags by prefix, posts by their words, within what one may see."""

import time

import pytest

from rostra.accounts import actions as accounts
from rostra.posts import actions as posts
from rostra.posts.models import Visibility
from rostra.timelines import queries
from tests.helpers import make_user
from tests.reads import fresh, indexed, search


def people(viewer, text):
    return [a.username for a in queries.search_accounts(fresh(viewer), text)]


def tags(text):
    return [t.name for t in queries.search_hashtags(text)]


# --- people -------------------------------------------------------------------------------


def test_people_are_found_by_the_start_of_their_username_in_any_case(alice, bob):
    make_user("alicia")
    make_user("malice")
    assert sorted(people(None, "ali")) == ["alice", "alicia"]
    assert sorted(people(None, "ALI")) == ["alice", "alicia"]
    assert people(None, "@alice") == ["alice"]
    assert people(None, "  bob ") == ["bob"]


def test_people_are_found_by_any_part_of_their_display_name(alice, bob):
    accounts.update_profile(alice, display_name="Alice Wonderland")
    accounts.update_profile(bob, display_name="Bob the Builder")
    assert people(None, "wonder") == ["alice"]
    assert people(None, "the build") == ["bob"]


def test_people_with_more_followers_come_first(alice, bob, carol):
    alfred = make_user("alfred")
    accounts.follow(bob, alfred)
    accounts.follow(carol, alfred)
    accounts.follow(bob, alice)
    make_user("alvin")
    assert people(None, "al") == ["alfred", "alice", "alvin"]


def test_blocked_people_are_not_found_either_way(alice, bob):
    accounts.block(alice, bob)
    assert people(alice, "bob") == []
    assert people(bob, "alice") == []
    assert people(None, "bob") == ["bob"]


@pytest.mark.parametrize("text", ["", "   ", "@", "\x00", "\ud800"])
def test_an_empty_people_query_finds_nobody(alice, text):
    assert people(alice, text) == []
    assert people(None, text) == []


def test_control_characters_in_a_people_query_are_ignored_not_fatal(alice):
    """PostgreSQL refuses NUL in a string; a search box must not turn that into an error page."""
    assert people(None, "al\x00i") == ["alice"]
    assert people(None, "ali\ud800") == ["alice"]


# --- hashtags -----------------------------------------------------------------------------


def test_hashtags_are_found_by_their_start(alice):
    posts.create_post(alice, "#Garden #gardening #Gallery #bagarre")
    assert tags("gar") == ["garden", "gardening"]
    assert tags("#GAR") == ["garden", "gardening"]
    assert tags("ga") == ["gallery", "garden", "gardening"]
    assert tags("zzz") == [] and tags("") == [] and tags("#") == []


def test_hashtags_used_only_in_private_posts_are_not_found(alice):
    """A tag in a direct message must not tell the world what the message was about."""
    posts.create_post(alice, "our #secretplan", visibility=Visibility.DIRECT)
    posts.create_post(alice, "our #secondplan", visibility=Visibility.FOLLOWERS)
    posts.create_post(alice, "our #sealedplan", visibility=Visibility.UNLISTED)
    posts.create_post(alice, "our #seaside trip")
    assert tags("se") == ["seaside"]


def test_hashtags_of_deleted_posts_are_not_found(alice):
    post = posts.create_post(alice, "about #ephemeral things")
    assert tags("ephem") == ["ephemeral"]
    posts.delete_post(alice, post)
    assert tags("ephem") == []


# --- posts --------------------------------------------------------------------------------


@pytest.fixture
def fruit(alice, bob):
    written = {
        "apple": posts.create_post(alice, "A red, shiny Apple from the market"),
        "car": posts.create_post(bob, "my red car is fast"),
        "pie": posts.create_post(bob, "apple pie recipe: apples, butter"),
    }
    return written


def test_posts_are_found_when_they_have_every_word(alice, fruit):
    assert search(alice, "red apple") == [fruit["apple"].pk]
    assert sorted(search(alice, "red")) == sorted([fruit["apple"].pk, fruit["car"].pk])
    assert sorted(search(None, "APPLE")) == sorted([fruit["apple"].pk, fruit["pie"].pk])
    assert search(alice, "red banana") == []
    assert search(alice, "butter pie apple") == [fruit["pie"].pk]


@pytest.mark.parametrize("text", ["", "   ", "!!!", "?", "@#$%^&*()", "-- ''", '"', "\x00", "\ud800"])
def test_a_query_without_words_finds_nothing(alice, fruit, text):
    assert search(alice, text) == []
    assert search(None, text) == []


@pytest.mark.parametrize(
    "text,found",
    [
        ('"apple', ["apple", "pie"]),
        ("apple*", ["apple", "pie"]),
        ("apple OR car", []),
        ("text:apple", []),
        ("NEAR(apple red)", []),
        ("-red", ["apple", "car"]),
        ("apple\x00", ["apple", "pie"]),
        ("red; DROP TABLE posts_post; --", []),
    ],
)
def test_search_syntax_in_a_query_is_taken_as_plain_words(alice, fruit, text, found):
    assert sorted(search(alice, text)) == sorted(fruit[key].pk for key in found)


def test_search_respects_visibility(alice, bob, carol):
    follower_only = posts.create_post(bob, "platypus for followers", visibility=Visibility.FOLLOWERS)
    direct = posts.create_post(bob, "platypus for @carol", visibility=Visibility.DIRECT)
    unlisted = posts.create_post(bob, "platypus unlisted", visibility=Visibility.UNLISTED)
    public = posts.create_post(bob, "platypus public")
    assert search(None, "platypus") == [public.pk]
    assert search(alice, "platypus") == [public.pk]
    accounts.follow(alice, bob)
    assert sorted(search(alice, "platypus")) == sorted([public.pk, follower_only.pk])
    assert sorted(search(carol, "platypus")) == sorted([public.pk, direct.pk])
    assert sorted(search(bob, "platypus")) == sorted([public.pk, direct.pk, unlisted.pk, follower_only.pk])


def test_search_respects_blocks_mutes_and_muted_terms(alice, bob, carol):
    from_bob = posts.create_post(bob, "wombat by bob")
    from_carol = posts.create_post(carol, "wombat by carol")
    spoiler = posts.create_post(carol, "wombat spoiler by carol")
    accounts.block(bob, alice)
    assert sorted(search(alice, "wombat")) == sorted([from_carol.pk, spoiler.pk])
    accounts.add_keyword_filter(alice, "spoiler")
    assert search(alice, "wombat") == [from_carol.pk]
    accounts.mute(alice, carol)
    assert search(alice, "wombat") == []
    assert sorted(search(None, "wombat")) == sorted([from_bob.pk, from_carol.pk, spoiler.pk])


def test_deleted_posts_are_not_found(alice, bob):
    post = posts.create_post(alice, "ephemeral thought")
    quote = posts.echo(bob, post, text="ephemeral quote")
    assert indexed("ephemeral") == sorted([post.pk, quote.pk])
    posts.delete_post(alice, post)
    assert search(alice, "ephemeral") == []
    assert search(None, "ephemeral") == []
    assert indexed("ephemeral") == []  # the quote went with the post it quoted


def test_edited_posts_are_found_by_their_new_words_only(alice):
    post = posts.create_post(alice, "the old wording")
    posts.edit_post(alice, post, "the revised text")
    assert search(alice, "wording") == []
    assert search(None, "old") == []
    assert search(None, "revised") == [post.pk]
    assert search(None, "the") == [post.pk]
    assert indexed("wording") == [] and indexed("revised") == [post.pk]


def test_plain_echoes_are_not_results_of_their_own(alice, bob):
    post = posts.create_post(alice, "quokka selfie")
    posts.echo(bob, post)
    quote = posts.echo(bob, post, text="look, a quokka")
    assert sorted(search(None, "quokka")) == sorted([post.pk, quote.pk])


def test_search_results_are_newest_first_and_page_by_cursor(alice):
    made = []
    for i in range(7):
        made.append(posts.create_post(alice, f"numbat number {i}"))
        time.sleep(0.0015)
    first = queries.search_posts(None, "numbat", limit=4)
    second = queries.search_posts(None, "numbat", max_id=first.next_max_id, limit=4)
    assert [p.pk for p in first.items] + [p.pk for p in second.items] == [p.pk for p in reversed(made)]
    assert second.next_max_id is None
