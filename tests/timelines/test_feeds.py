"""Home feeds, discover, trends, hashtag pages and notifications, as people see them."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from rostra.accounts import actions as accounts
from rostra.core.errors import Forbidden
from rostra.core.models import InstanceSettings
from rostra.posts import actions as posts
from rostra.posts.models import Visibility
from rostra.timelines import queries
from tests import reads
from tests.helpers import make_user
from tests.reads import fresh, home, newest_first, notifications


def write(author, n, prefix="post"):
    """``n`` posts, a moment apart so their IDs sort in the order they were written."""
    made = []
    for i in range(n):
        made.append(posts.create_post(author, f"{prefix} {i}"))
        time.sleep(0.0015)
    return made


def all_pages(read, limit):
    """Walk a paged list by its cursor; returns the pages' IDs."""
    pages, cursor = [], None
    while True:
        page = read(max_id=cursor, limit=limit)
        pages.append(reads.ids(page))
        cursor = page.next_max_id
        if cursor is None:
            return pages
        assert len(pages) < 50, "the cursor never ends"


# --- home ---------------------------------------------------------------------------------


def test_the_home_feed_is_newest_first_and_mixes_people_followed(alice, bob, carol):
    accounts.follow(alice, bob)
    accounts.follow(alice, carol)
    b1 = posts.create_post(bob, "b1")
    time.sleep(0.002)
    a1 = posts.create_post(alice, "a1")
    time.sleep(0.002)
    c1 = posts.create_post(carol, "c1")
    time.sleep(0.002)
    b2 = posts.create_post(bob, "b2")
    stranger = make_user("stranger")
    posts.create_post(stranger, "not followed")
    assert home(alice) == [b2.pk, c1.pk, a1.pk, b1.pk]


def test_the_home_feed_pages_by_cursor_without_gaps_or_repeats(alice, bob):
    accounts.follow(alice, bob)
    made = write(bob, 55)
    pages = all_pages(lambda **kw: queries.home_feed(fresh(alice), **kw), limit=20)
    assert [len(p) for p in pages] == [20, 20, 15]
    flat = [pk for page in pages for pk in page]
    assert flat == [p.pk for p in reversed(made)]


def test_paging_stays_whole_when_muted_terms_hide_many_posts(alice, bob):
    """Hidden posts may shorten a page but never make a visible post fall between pages."""
    accounts.follow(alice, bob)
    made = []
    for i in range(55):
        made.append(posts.create_post(bob, f"spoiler {i}" if i % 3 else f"fine {i}"))
        time.sleep(0.0015)
    accounts.add_keyword_filter(alice, "spoiler")
    pages = all_pages(lambda **kw: queries.home_feed(fresh(alice), **kw), limit=5)
    flat = [pk for page in pages for pk in page]
    assert flat == [p.pk for p in reversed(made) if p.text.startswith("fine")]
    assert all(len(p) <= 5 for p in pages)


def test_a_cursor_that_is_not_a_number_starts_from_the_top(alice):
    made = write(alice, 3)
    assert reads.ids(queries.home_feed(fresh(alice), max_id="nonsense", limit="x")) == [p.pk for p in reversed(made)]


def test_following_backfills_recent_posts_but_not_direct_ones(alice, bob):
    old = write(bob, 45, prefix="old")
    direct = posts.create_post(bob, "@carol psst", visibility=Visibility.DIRECT)
    followers = posts.create_post(bob, "friends only", visibility=Visibility.FOLLOWERS)
    accounts.follow(alice, bob)
    feed = home(alice)
    assert feed[0] == followers.pk
    assert direct.pk not in feed
    assert len(feed) == 40  # the backfill brings the last 40
    assert feed[1:] == [p.pk for p in reversed(old)][:39]


def test_unfollowing_takes_the_persons_posts_and_echoes_out(alice, bob, carol):
    accounts.follow(alice, bob)
    mine = posts.create_post(alice, "mine")
    theirs = posts.create_post(bob, "bob's")
    echo = posts.echo(bob, posts.create_post(carol, "carol's"))
    assert set(home(alice)) == {echo.pk, theirs.pk, mine.pk}
    accounts.unfollow(alice, bob)
    assert home(alice) == [mine.pk]


def test_echoes_reach_the_echoers_followers_once(alice, bob, carol):
    accounts.follow(alice, bob)
    accounts.follow(alice, carol)
    original = posts.create_post(carol, "carol's")
    plain = posts.echo(bob, original)
    quote = posts.echo(bob, original, text="bob adds words")
    # Alice already has Carol's post: the plain echo adds nothing, the quote is new words.
    assert set(home(alice)) == {quote.pk, original.pk}
    dave = make_user("dave")
    accounts.follow(dave, bob)
    assert set(home(dave)) == {plain.pk, quote.pk}
    shown = {p.pk: p for p in queries.home_feed(fresh(dave)).items}
    assert shown[plain.pk].echo_of.pk == original.pk
    assert shown[plain.pk].echo_of.author.username == "carol"


def test_a_deleted_original_takes_its_echoes_out_of_feeds(alice, bob, carol):
    accounts.follow(alice, bob)
    original = posts.create_post(carol, "soon gone")
    posts.echo(bob, original)
    assert home(alice)
    posts.delete_post(carol, original)
    assert home(alice) == []


def test_a_mention_in_a_public_post_does_not_put_it_in_a_strangers_feed(alice, bob):
    public = posts.create_post(bob, "hi @alice")
    followers = posts.create_post(bob, "hi @alice, friends only", visibility=Visibility.FOLLOWERS)
    direct = posts.create_post(bob, "hi @alice, just you", visibility=Visibility.DIRECT)
    assert home(alice) == newest_first(direct, followers)
    assert public.pk not in home(alice)


# --- discover -----------------------------------------------------------------------------


def test_discover_new_lists_top_level_public_posts_newest_first(alice, bob):
    first = posts.create_post(alice, "first")
    time.sleep(0.002)
    second = posts.create_post(bob, "second")
    posts.create_post(alice, "a comment", in_reply_to=first)
    posts.echo(alice, second)
    posts.echo(alice, second, text="a quote")
    posts.create_post(bob, "quiet", visibility=Visibility.UNLISTED)
    posts.create_post(bob, "friends", visibility=Visibility.FOLLOWERS)
    assert reads.discover(None) == [second.pk, first.pk]
    assert reads.discover(alice) == [second.pk, first.pk]


def test_discover_new_pages_by_cursor(alice):
    made = write(alice, 25)
    pages = all_pages(lambda **kw: queries.discover(None, **kw), limit=10)
    assert [len(p) for p in pages] == [10, 10, 5]
    assert [pk for page in pages for pk in page] == [p.pk for p in reversed(made)]


def test_discover_popular_ranks_recent_posts_by_votes_echoes_and_comments(alice, bob, carol):
    dave = make_user("dave")
    quiet = posts.create_post(alice, "nobody cares")
    voted = posts.create_post(alice, "two votes")
    echoed = posts.create_post(bob, "echoed once")
    time.sleep(0.002)  # so that "discussed" is the newer of the two posts that tie
    discussed = posts.create_post(carol, "three comments")
    old = posts.create_post(bob, "old but loved", created_at=timezone.now() - timedelta(hours=72))
    for voter in (bob, carol):
        posts.vote(voter, voted)
    posts.echo(carol, echoed)  # an echo weighs two
    posts.vote(dave, echoed)
    for _ in range(3):
        posts.create_post(dave, "my comment", in_reply_to=discussed)
    for voter in (alice, carol, dave):
        posts.vote(voter, old)
    # Scores: echoed 2+1=3, discussed 3, voted 2; ties go to the newer post.
    assert reads.discover(None, sort="popular") == [discussed.pk, echoed.pk, voted.pk]
    assert quiet.pk not in reads.discover(None, sort="popular")
    assert reads.discover(bob, sort="popular") == [discussed.pk, echoed.pk, voted.pk]


def test_discover_popular_respects_blocks_and_mutes_and_the_window_setting(alice, bob, carol):
    loved = posts.create_post(bob, "bob's loved post")
    older = posts.create_post(carol, "a day and a half old", created_at=timezone.now() - timedelta(hours=36))
    posts.vote(alice, loved)
    posts.vote(alice, older)
    assert reads.discover(carol, sort="popular") == [loved.pk, older.pk]
    accounts.mute(carol, bob)
    assert reads.discover(carol, sort="popular") == [older.pk]
    accounts.block(bob, alice)
    assert reads.discover(alice, sort="popular") == [older.pk]
    settings = InstanceSettings.current()
    settings.popular_window_hours = 24
    settings.save()
    assert reads.discover(None, sort="popular") == [loved.pk]


def test_discover_popular_pages(alice, bob):
    made = write(alice, 5)
    for p in made:
        posts.vote(bob, p)
    first = queries.discover(None, sort="popular", limit=3)
    second = queries.discover(None, sort="popular", max_id=first.next_max_id, limit=3)
    assert len(first.items) == 3 and len(second.items) == 2 and second.next_max_id is None
    assert set(reads.ids(first) + reads.ids(second)) == {p.pk for p in made}


# --- trends and hashtag pages -------------------------------------------------------------


def test_trending_hashtags_count_people_not_posts(alice, bob, carol):
    for i in range(5):
        posts.create_post(alice, f"#spam number {i}")
    for person in (alice, bob, carol):
        posts.create_post(person, "I like #gardens")
    posts.create_post(bob, "#gardens again")
    posts.create_post(bob, "#Spam from bob too")
    posts.create_post(carol, "#hidden tag", visibility=Visibility.UNLISTED)
    posts.create_post(carol, "#hidden tag", visibility=Visibility.FOLLOWERS)
    trends = queries.trending_hashtags()
    assert trends[:2] == [
        {"name": "gardens", "people": 3, "uses": 4},
        {"name": "spam", "people": 2, "uses": 6},
    ]
    assert "hidden" not in [t["name"] for t in trends]


def test_trending_hashtags_look_at_a_recent_window_only(alice, bob):
    for person in (alice, bob):
        posts.create_post(person, "#yesterday", created_at=timezone.now() - timedelta(hours=30))
    posts.create_post(alice, "#today")
    assert [t["name"] for t in queries.trending_hashtags(hours=24)] == ["today"]
    assert [t["name"] for t in queries.trending_hashtags(hours=48)] == ["yesterday", "today"]


def test_a_hashtag_page_lists_public_posts_with_the_tag_newest_first(alice, bob):
    first = posts.create_post(alice, "#Garden day")
    time.sleep(0.002)
    reply = posts.create_post(bob, "nice #garden", in_reply_to=first)
    time.sleep(0.002)
    quote = posts.echo(bob, first, text="#GARDEN quote")
    posts.echo(bob, first)  # a plain echo has no tags of its own
    posts.create_post(bob, "#gardening is another tag")
    posts.create_post(bob, "#garden unlisted", visibility=Visibility.UNLISTED)
    assert reads.hashtag(None, "garden") == [quote.pk, reply.pk, first.pk]
    assert reads.hashtag(None, "GARDEN") == [quote.pk, reply.pk, first.pk]
    assert reads.hashtag(None, "nothing") == []
    assert queries.hashtag_feed(None, "garden").extra["hashtag"].name == "garden"


@pytest.mark.parametrize(
    "name,found", [("", False), ("#", False), ("\ud800", False), ("x" * 500, False), ("gar\x00den", True)]
)
def test_a_hashtag_page_for_a_broken_name_is_not_an_error(alice, name, found):
    """Names come from URLs; a NUL is dropped as in any typed text (PostgreSQL refuses it)."""
    post = posts.create_post(alice, "#garden")
    assert reads.hashtag(None, name) == ([post.pk] if found else [])


def test_a_hashtag_page_pages_by_cursor(alice):
    made = [posts.create_post(alice, f"#paged {i}") for i in range(7)]
    pages = all_pages(lambda **kw: queries.hashtag_feed(None, "paged", **kw), limit=3)
    assert [len(p) for p in pages] == [3, 3, 1]
    assert sorted(pk for page in pages for pk in page) == sorted(p.pk for p in made)


# --- notifications ------------------------------------------------------------------------


def test_people_are_told_of_follows_requests_comments_mentions_echoes_and_votes(alice, bob, carol):
    def moment():
        time.sleep(0.002)  # notifications a moment apart sort by their time-ordered IDs

    accounts.follow(bob, alice)
    accounts.update_profile(carol, locked=True)
    accounts.follow(alice, carol)
    post = posts.create_post(alice, "hello")
    moment()
    reply = posts.create_post(bob, "hi back", in_reply_to=post)
    moment()
    mention = posts.create_post(bob, "look @alice")
    moment()
    echo = posts.echo(bob, post)
    moment()
    posts.vote(bob, post)
    assert notifications(alice) == [
        ("vote", "bob", post.pk),
        ("echo", "bob", echo.pk),
        ("mention", "bob", mention.pk),
        ("reply", "bob", reply.pk),
        ("follow", "bob", None),
    ]
    assert notifications(carol) == [("follow_request", "alice", None)]
    assert notifications(bob) == []


def test_a_comment_that_also_mentions_is_told_once(alice, bob):
    post = posts.create_post(alice, "hello")
    reply = posts.create_post(bob, "@alice hi back", in_reply_to=post)
    assert notifications(alice) == [("reply", "bob", reply.pk)]


def test_nobody_is_told_about_their_own_doings(alice):
    post = posts.create_post(alice, "note to self @alice")
    posts.create_post(alice, "and a comment", in_reply_to=post)
    posts.vote(alice, post)
    posts.echo(alice, post)
    assert notifications(alice) == []


def test_nobody_is_told_twice_of_the_same_vote(alice, bob):
    post = posts.create_post(alice, "hello")
    posts.vote(bob, post)
    posts.unvote(bob, post)
    posts.vote(bob, post)
    assert notifications(alice) == [("vote", "bob", post.pk)]


def test_nothing_arrives_from_someone_you_blocked(alice, bob):
    post = posts.create_post(alice, "hello")
    posts.vote(bob, post)
    accounts.block(alice, bob)
    assert notifications(alice) == []
    posts.create_post(bob, "@alice hey")
    posts.create_post(bob, "@alice hey", visibility=Visibility.DIRECT)
    with pytest.raises(Forbidden):
        accounts.follow(bob, alice)
    assert notifications(alice) == []
    assert queries.unread_notifications(fresh(alice)) == 0


def test_nothing_arrives_from_someone_who_blocked_you(alice, bob):
    accounts.block(bob, alice)
    posts.create_post(alice, "@bob hey")
    assert notifications(bob) == []


def test_unread_count_and_mark_read(alice, bob, carol):
    assert queries.unread_notifications(fresh(alice)) == 0
    accounts.follow(bob, alice)
    accounts.follow(carol, alice)
    post = posts.create_post(alice, "hello")
    posts.vote(bob, post)
    assert queries.unread_notifications(fresh(alice)) == 3
    assert queries.unread_notifications(fresh(alice), cap=1) == 2  # shown as "1+"
    viewer = fresh(alice)
    queries.mark_notifications_read(viewer)
    assert viewer.notifications_seen_id > 0
    assert queries.unread_notifications(fresh(alice)) == 0
    assert queries.unread_notifications(fresh(bob)) == 0
    posts.vote(carol, post)
    assert queries.unread_notifications(fresh(alice)) == 1
    assert len(notifications(alice)) == 4  # read ones are still listed


def test_notifications_page_by_cursor(alice):
    for i in range(7):
        accounts.follow(make_user(f"fan{i}"), alice)
    pages = all_pages(lambda **kw: queries.notifications(fresh(alice), **kw), limit=3)
    assert [len(p) for p in pages] == [3, 3, 1]
    flat = [pk for page in pages for pk in page]
    assert flat == sorted(flat, reverse=True) and len(set(flat)) == 7
    assert sorted(name for _, name, _ in notifications(alice)) == [f"fan{i}" for i in range(7)]


def test_echoing_a_post_already_in_your_feed_does_not_show_it_twice(alice, bob):
    accounts.follow(alice, bob)
    original = posts.create_post(bob, "worth passing on")
    posts.echo(alice, original)
    feed = queries.home_feed(fresh(alice), limit=50).items
    shown = [p.echo_of_id if p.is_plain_echo else p.pk for p in feed]
    assert shown.count(original.pk) == 1
