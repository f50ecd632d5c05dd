"""Timelines send statuses from a per-process cache of encoded JSON: it must say what status() says."""

import orjson

from rostra.accounts import actions as accounts
from rostra.api.serializers import encoded_statuses, status
from rostra.api.views.statuses import hydrate_for_api
from rostra.posts import actions as posts
from rostra.posts.models import Post, Visibility
from rostra.timelines import queries
from tests.fixtures import media_root  # noqa: F401
from tests.images import jpeg_upload


def _both(viewer, items):
    """(what timelines send, what status() builds) for these posts, freshly read and hydrated."""
    fresh = queries._posts_by_ids([p.pk for p in items])
    queries.hydrate(viewer, fresh)
    ctx = hydrate_for_api(viewer, fresh)
    encoded = orjson.loads(orjson.dumps(encoded_statuses(fresh, ctx)))
    built = [status(p, ctx) for p in fresh]
    return encoded, built


def test_encoded_statuses_equal_status_for_every_kind_of_post(alice, bob, carol, media_root):
    accounts.follow(bob, alice)
    accounts.update_profile(alice, display_name="Alice <b>A</b>", links=[["site", "https://alice.example"]])
    photo = posts.upload_media(alice, jpeg_upload(), "a photo")
    plain = posts.create_post(alice, "hello #world @carol", media_ids=[photo.pk])
    reply = posts.create_post(bob, "hi back", in_reply_to=plain)
    echo = posts.echo(bob, plain)
    quote = posts.echo(carol, plain, text="look at this")
    private = posts.create_post(alice, "followers only", visibility=Visibility.FOLLOWERS)
    posts.vote(bob, plain)
    posts.bookmark(bob, quote)
    items = [plain, reply, echo, quote, private]
    for viewer in (bob, None):
        encoded, built = _both(viewer, items)
        assert encoded == built


def test_a_cached_status_never_goes_stale(alice, bob):
    post = posts.create_post(alice, "count me")
    before, _ = _both(bob, [post])
    assert before[0]["favourites_count"] == 0 and before[0]["favourited"] is False
    posts.vote(bob, post)
    accounts.update_profile(alice, display_name="Alice Again")
    after, built = _both(bob, [post])
    assert after == built
    assert after[0]["favourites_count"] == 1 and after[0]["favourited"] is True
    assert after[0]["account"]["display_name"] == "Alice Again"
    posts.edit_post(alice, Post.objects.get(pk=post.pk), "count me, edited")
    edited, built = _both(bob, [post])
    assert edited == built and "edited" in edited[0]["content"]
