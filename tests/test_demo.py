"""The demo seeder, at a small scale: the rows it writes must agree with each other.

Someone trying Rostra on seeded data would notice a counter that does not match the list
under it, a comment shown in the wrong thread, a home feed missing people they follow or
out of order, or a post that a page refuses to show. Each test here is one of those.
"""

import io
from collections import Counter, defaultdict

import pytest
from django.contrib.auth import authenticate
from django.db.models import Max

from rostra.accounts.models import Account, Follow
from rostra.core.demo import BENCH_USERNAME, DEMO_PASSWORD, seed
from rostra.core.html import extract_hashtags, render_text
from rostra.core.models import InstanceSettings
from rostra.posts.models import Bookmark, Mention, Post, PostHashtag, Vote
from rostra.posts.queries import can_see, visible_posts
from rostra.timelines import queries
from rostra.timelines.models import FeedEntry

USERS, POSTS, FEED_SIZE = 30, 300, 40


@pytest.fixture
def seeded(db):
    settings = InstanceSettings.current()
    settings.home_feed_size = FEED_SIZE  # small, so the cap and the merge are exercised
    settings.save()
    return seed(users=USERS, posts=POSTS, seed=7, progress=False, out=io.StringIO())


def test_it_writes_what_it_says(seeded):
    assert Account.objects.count() == USERS == seeded["people"]
    assert Post.objects.count() == POSTS == seeded["posts"]
    assert Follow.objects.count() == seeded["follows"]
    assert Vote.objects.count() == seeded["votes"] > 0
    assert FeedEntry.objects.count() == seeded["feed_entries"] > 0
    assert Bookmark.objects.exists()
    assert set(Post.objects.values_list("state", flat=True)) == {"published"}
    kinds = Counter(
        "reply" if p.in_reply_to_id else "echo" if p.echo_of_id else "original" for p in Post.objects.all()
    )
    assert kinds["reply"] > POSTS // 5 and kinds["echo"] > POSTS // 20 and kinds["original"] > POSTS // 3


def test_demo_people_can_sign_in(seeded):
    user = authenticate(username=BENCH_USERNAME, password=DEMO_PASSWORD)
    assert user is not None and user.account.username == BENCH_USERNAME
    demo = user.account
    assert demo.following_count >= USERS // 2
    assert demo.followers_count >= USERS // 4


def test_account_counters_match_the_rows(seeded):
    posts = Counter(Post.objects.values_list("author_id", flat=True))
    last = dict(Post.objects.values("author_id").annotate(m=Max("created_at")).values_list("author_id", "m"))
    followers = Counter(Follow.objects.values_list("target_id", flat=True))
    following = Counter(Follow.objects.values_list("follower_id", flat=True))
    for account in Account.objects.all():
        assert account.posts_count == posts[account.pk], account
        assert account.last_post_at == last.get(account.pk), account
        assert account.followers_count == followers[account.pk], account
        assert account.following_count == following[account.pk], account
    # A tail: the most followed account has several times the followers of the least followed.
    counts = sorted(followers[a] for a in Account.objects.values_list("pk", flat=True))
    assert counts[-1] >= 2 * max(1, counts[0])


def test_post_counters_match_the_rows(seeded):
    replies = Counter(Post.objects.exclude(in_reply_to=None).values_list("in_reply_to_id", flat=True))
    echoes = Counter(Post.objects.exclude(echo_of=None).values_list("echo_of_id", flat=True))
    votes = Counter(Vote.objects.values_list("post_id", flat=True))
    for post in Post.objects.all():
        assert post.replies_count == replies[post.pk], post
        assert post.echoes_count == echoes[post.pk], post
        assert post.votes_count == votes[post.pk], post


def test_threads_hang_together(seeded):
    posts = {p.pk: p for p in Post.objects.all()}
    deep = 0
    for post in posts.values():
        if post.in_reply_to_id is None:
            assert post.thread_root_id is None
            continue
        parent = posts[post.in_reply_to_id]
        assert post.in_reply_to_account_id == parent.author_id
        assert post.created_at > parent.created_at and post.pk > parent.pk
        root = parent
        while root.in_reply_to_id is not None:
            root = posts[root.in_reply_to_id]
            deep += 1
        assert post.thread_root_id == root.pk
    assert deep > 0, "some comments answer other comments"
    # The thread page of a comment shows its root above it.
    reply = next(p for p in posts.values() if p.in_reply_to_id and posts[p.in_reply_to_id].in_reply_to_id)
    viewer = Account.objects.get(username=BENCH_USERNAME)
    ancestors, _, _ = queries.thread(viewer, reply)
    assert ancestors[0].pk == reply.thread_root_id


def test_ids_follow_time_and_echoes_are_plausible(seeded):
    by_id = list(Post.objects.order_by("id").values_list("created_at", flat=True))
    assert by_id == sorted(by_id)
    plain = Counter(Post.objects.filter(text="").exclude(echo_of=None).values_list("author_id", "echo_of_id"))
    assert all(n == 1 for n in plain.values()), "one plain echo per person and post"
    for echo in Post.objects.exclude(echo_of=None).select_related("echo_of"):
        assert echo.author_id != echo.echo_of.author_id
        assert echo.echo_of.echo_of_id is None or echo.echo_of.text, "no echo of a plain echo"
        assert echo.echo_of.visibility == "public"


def test_html_hashtags_and_mentions_are_what_posting_would_make(seeded):
    mentions = defaultdict(dict)
    for post_id, username in Mention.objects.values_list("post_id", "account__username"):
        mentions[post_id][(username.lower(), None)] = f"/@{username}"
    tags = defaultdict(set)
    for post_id, name in PostHashtag.objects.values_list("post_id", "hashtag__name"):
        tags[post_id].add(name)
    for post in Post.objects.all():
        assert post.html == render_text(post.text, mentions[post.pk]), post.text
        assert tags[post.pk] == set(extract_hashtags(post.text)), post.text
    assert any(mentions.values()) and any(tags.values())
    for account in Account.objects.exclude(bio=""):
        assert account.bio_html == render_text(account.bio)


def test_home_feeds_hold_the_newest_posts_of_people_followed(seeded):
    for account in Account.objects.all():
        sources = set(Follow.objects.filter(follower=account).values_list("target_id", flat=True)) | {account.pk}
        expected = []
        for post in Post.objects.filter(author_id__in=sources).select_related("echo_of").order_by("-id"):
            # A plain echo of something the feed already has from its author is not repeated.
            if post.echo_of_id and not post.text and post.echo_of.author_id in sources:
                continue
            expected.append(post.pk)
        expected = expected[:FEED_SIZE]
        entries = list(
            FeedEntry.objects.filter(account=account).order_by("-post_id").values_list("post_id", "author_id")
        )
        assert [pid for pid, _ in entries] == expected, account
        authors = dict(Post.objects.filter(pk__in=expected).values_list("pk", "author_id"))
        assert all(authors[pid] == author for pid, author in entries)


def test_feeds_pass_visibility_and_read_newest_first(seeded):
    for account in Account.objects.all()[:10]:
        ids = list(FeedEntry.objects.filter(account=account).values_list("post_id", flat=True))
        assert visible_posts(account).filter(pk__in=ids).count() == len(ids)
        page = queries.home_feed(account)
        assert page.items, account
        assert all(can_see(account, p) for p in page.items)
        times = [p.created_at for p in page.items]
        assert times == sorted(times, reverse=True)
        assert [p.pk for p in page.items] == sorted(ids, reverse=True)[: len(page.items)]
        profile = queries.profile_posts(None, account)
        assert all(p.author_id == account.pk for p in profile.items)


def test_seeding_again_adds_more_people_without_clashes(seeded):
    again = seed(users=USERS, posts=50, seed=7, progress=False, out=io.StringIO())
    assert again["people"] == USERS
    assert Account.objects.count() == 2 * USERS
    names = [u.lower() for u in Account.objects.values_list("username", flat=True)]
    assert len(names) == len(set(names))
    assert Account.objects.filter(username=BENCH_USERNAME).count() == 1


def test_the_same_seed_gives_the_same_people_and_posts(db):
    from rostra.accounts.models import User
    from rostra.posts.models import Hashtag

    def snapshot():
        people = list(Account.objects.order_by("username").values_list("username", "display_name", "bio", "followers_count"))
        posts = list(Post.objects.order_by("id").values_list("author__username", "text", "replies_count", "votes_count"))
        return people, posts

    seed(users=20, posts=150, seed=11, progress=False, out=io.StringIO())
    first = snapshot()
    for model in (FeedEntry, Vote, Bookmark, Mention, PostHashtag, Post, Follow, Account, User, Hashtag):
        model.objects.all().delete()
    seed(users=20, posts=150, seed=11, progress=False, out=io.StringIO())
    assert snapshot() == first


def test_home_feeds_are_what_fan_out_would_have_written(db):
    """Replaying the real fan-out task over every post gives the same feeds (no cap in play)."""
    from rostra.timelines.tasks import fan_out_post

    settings = InstanceSettings.current()
    settings.home_feed_size = 100_000
    settings.save()
    seed(users=25, posts=250, seed=5, progress=False, out=io.StringIO())
    seeded = set(FeedEntry.objects.values_list("account_id", "post_id", "author_id"))
    FeedEntry.objects.all().delete()
    for post_id in Post.objects.order_by("id").values_list("id", flat=True):
        fan_out_post.call(post_id)
    assert set(FeedEntry.objects.values_list("account_id", "post_id", "author_id")) == seeded
