"""Timelines over real HTTP: paging with Link headers as Mastodon does, who sees what, the
options of each list, and a home page's fixed number of queries."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from rostra.accounts import actions as accounts
from rostra.posts import actions as posts
from rostra.posts.models import Visibility
from tests.helpers import eventually
from tests.images import jpeg_upload


def write(author, text, **kwargs):
    return posts.create_post(author, text, rate_limit=False, **kwargs)


def links(response):
    """The Link header as {rel: {param: value}}."""
    found = {}
    for url, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', response.headers.get("Link", "")):
        found[rel] = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    return found


def ids(response):
    assert response.status_code == 200, response.text
    return [int(s["id"]) for s in response.json()]


def test_home_pages_backwards_and_forwards_with_mastodon_py(api, people):
    made = [write(people["alice"], f"Post number {n}").pk for n in range(45)]
    newest_first = list(reversed(made))
    alice = api.mastodon("alice")
    first = alice.timeline_home(limit=20)
    assert [int(s["id"]) for s in first] == newest_first[:20]
    second = alice.fetch_next(first)
    assert [int(s["id"]) for s in second] == newest_first[20:40]
    third = alice.fetch_next(second)
    assert [int(s["id"]) for s in third] == newest_first[40:]
    assert alice.fetch_next(third) is None, "a short page has no next link"
    back = alice.fetch_previous(third)
    assert [int(s["id"]) for s in back] == newest_first[20:40]
    newer = write(people["alice"], "Brand new").pk
    top = alice.fetch_previous(first)
    assert [int(s["id"]) for s in top] == [newer]


def test_link_headers_and_cursors_are_mastodons(api, people):
    made = [write(people["alice"], f"Post {n}").pk for n in range(10)]
    with api.as_user("alice") as alice:
        page = alice.get("/api/v1/timelines/home", params={"limit": 3})
        assert ids(page) == made[::-1][:3]
        assert links(page) == {"next": {"limit": "3", "max_id": str(made[-3])}, "prev": {"limit": "3", "min_id": str(made[-1])}}
        assert page.headers["Link"].startswith(f"<{api.url}/api/v1/timelines/home?")
        assert ids(alice.get("/api/v1/timelines/home", params={"since_id": made[2], "limit": 3})) == made[::-1][:3]
        assert ids(alice.get("/api/v1/timelines/home", params={"min_id": made[2], "limit": 3})) == [made[5], made[4], made[3]]
        assert ids(alice.get("/api/v1/timelines/home", params={"max_id": made[5], "min_id": made[1]})) == [made[4], made[3], made[2]]
        assert ids(alice.get("/api/v1/timelines/home", params={"max_id": made[5], "since_id": made[1], "limit": 2})) == [made[4], made[3]]
        empty = alice.get("/api/v1/timelines/home", params={"min_id": made[-1]})
        assert empty.json() == [] and "Link" not in empty.headers
        assert len(alice.get("/api/v1/timelines/home", params={"limit": 1000}).json()) == 10
        assert len(alice.get("/api/v1/timelines/home", params={"limit": 0}).json()) == 1
        for bad in ({"max_id": "abc"}, {"since_id": "-4"}, {"limit": "many"}):
            refused = alice.get("/api/v1/timelines/home", params=bad)
            assert refused.status_code == 422 and "error" in refused.json()


def test_limit_is_at_most_forty(api, people):
    made = [write(people["alice"], f"Post {n}").pk for n in range(45)]
    with api.as_user("alice") as alice:
        assert ids(alice.get("/api/v1/timelines/home", params={"limit": 80})) == made[::-1][:40]
        assert len(alice.get("/api/v1/timelines/home").json()) == 20


def test_home_needs_a_person_and_read_statuses(api, people):
    with api.http() as anonymous:
        assert anonymous.get("/api/v1/timelines/home").status_code == 401
    with api.as_user("alice", scopes="read:accounts") as narrow:
        assert narrow.get("/api/v1/timelines/home").status_code == 403
    with api.as_user("alice", scopes="read:statuses") as reader:
        assert reader.get("/api/v1/timelines/home").status_code == 200


def test_followers_only_posts_reach_followers_never_strangers(api, people):
    alice, bob, carol = people["alice"], people["bob"], people["carol"]
    accounts.follow(carol, alice)
    public = write(alice, "For everyone")
    private = write(alice, "For followers", visibility=Visibility.FOLLOWERS)
    with api.as_user("carol") as follower, api.as_user("bob") as stranger, api.http() as anonymous:
        eventually(lambda: private.pk in ids(follower.get("/api/v1/timelines/home")), message="fan-out never came")
        assert ids(follower.get("/api/v1/timelines/home")) == [private.pk, public.pk]
        assert ids(stranger.get("/api/v1/timelines/home")) == []
        for who in (stranger, anonymous):
            assert ids(who.get("/api/v1/timelines/public")) == [public.pk]
            assert ids(who.get(f"/api/v1/accounts/{alice.pk}/statuses")) == [public.pk]
        assert ids(follower.get(f"/api/v1/accounts/{alice.pk}/statuses")) == [private.pk, public.pk]
        assert ids(follower.get("/api/v1/timelines/public")) == [public.pk]


def test_public_timeline_options(api, people):
    alice, bob = people["alice"], people["bob"]
    plain = write(alice, "Words only")
    image = posts.upload_media(bob, jpeg_upload())
    pictured = write(bob, "With a picture", media_ids=[image.pk])
    reply = write(bob, "A reply", in_reply_to=plain)
    write(alice, "Unlisted", visibility=Visibility.UNLISTED)
    with api.http() as anonymous:
        assert ids(anonymous.get("/api/v1/timelines/public")) == [pictured.pk, plain.pk]
        assert ids(anonymous.get("/api/v1/timelines/public", params={"local": "true"})) == [pictured.pk, plain.pk]
        assert ids(anonymous.get("/api/v1/timelines/public", params={"remote": "true"})) == []
        assert ids(anonymous.get("/api/v1/timelines/public", params={"only_media": "1"})) == [pictured.pk]
        page = anonymous.get("/api/v1/timelines/public", params={"limit": 1})
        assert ids(page) == [pictured.pk]
        assert ids(anonymous.get("/api/v1/timelines/public", params=links(page)["next"])) == [plain.pk]
        assert reply.pk not in ids(anonymous.get("/api/v1/timelines/public"))


def test_tag_timeline_with_any_all_and_none(api, people):
    alice = people["alice"]
    cats = write(alice, "I like #cats")
    dogs = write(alice, "I like #dogs")
    both = write(alice, "I like #cats and #dogs")
    write(alice, "Secret #cats", visibility=Visibility.FOLLOWERS)
    with api.http() as anonymous:
        assert ids(anonymous.get("/api/v1/timelines/tag/cats")) == [both.pk, cats.pk]
        assert ids(anonymous.get("/api/v1/timelines/tag/CATS")) == [both.pk, cats.pk]
        assert ids(anonymous.get("/api/v1/timelines/tag/cats", params={"any[]": "dogs"})) == [both.pk, dogs.pk, cats.pk]
        assert ids(anonymous.get("/api/v1/timelines/tag/cats", params={"all[]": "dogs"})) == [both.pk]
        assert ids(anonymous.get("/api/v1/timelines/tag/cats", params={"none[]": "dogs"})) == [cats.pk]
        assert ids(anonymous.get("/api/v1/timelines/tag/nothing")) == []
        assert ids(anonymous.get("/api/v1/timelines/tag/cats", params={"min_id": cats.pk})) == [both.pk]
        assert anonymous.get("/api/v1/timelines/tag/%00").status_code == 404


def test_account_statuses_options(api, people):
    alice, bob = people["alice"], people["bob"]
    top = write(alice, "Top level #news")
    theirs = write(bob, "Bob's post")
    reply = write(alice, "A comment", in_reply_to=theirs)
    echo = posts.echo(alice, theirs)
    quote = write(alice, "A quote", echo_of=theirs)
    image = posts.upload_media(alice, jpeg_upload())
    pictured = write(alice, "A picture", media_ids=[image.pk])
    url = f"/api/v1/accounts/{alice.pk}/statuses"
    m = api.mastodon("bob")
    assert [int(s["id"]) for s in m.account_statuses(alice.pk)] == [pictured.pk, quote.pk, echo.pk, reply.pk, top.pk]
    assert [int(s["id"]) for s in m.account_statuses(alice.pk, exclude_replies=True)] == [pictured.pk, quote.pk, echo.pk, top.pk]
    assert [int(s["id"]) for s in m.account_statuses(alice.pk, exclude_reblogs=True)] == [pictured.pk, quote.pk, reply.pk, top.pk]
    assert [int(s["id"]) for s in m.account_statuses(alice.pk, only_media=True)] == [pictured.pk]
    assert m.account_statuses(alice.pk, pinned=True) == []
    with api.http() as anonymous:
        assert ids(anonymous.get(url, params={"tagged": "news"})) == [top.pk]
        echoed = anonymous.get(url).json()[2]
        assert echoed["reblog"]["id"] == str(theirs.pk) and echoed["content"] == ""
        for odd in ("abc", "0", "99999999999999999999"):
            assert anonymous.get(f"/api/v1/accounts/{odd}/statuses").status_code == 404


def test_bookmarks_and_favourites_newest_mark_first_with_links(api, people):
    alice, bob = people["alice"], people["bob"]
    made = [write(alice, f"Worth keeping {n}") for n in range(5)]
    order = [made[3], made[0], made[4], made[1]]
    for post in order:
        posts.bookmark(bob, post)
        posts.vote(bob, post)
    with api.as_user("bob") as reader:
        for path in ("/api/v1/bookmarks", "/api/v1/favourites"):
            page = reader.get(path, params={"limit": 3})
            assert ids(page) == [p.pk for p in reversed(order)][:3]
            rest = reader.get(path, params=links(page)["next"])
            assert ids(rest) == [order[0].pk]
            assert ids(reader.get(path, params=links(rest)["prev"])) == [p.pk for p in reversed(order)][:3]
    with api.as_user("bob", scopes="read:statuses") as narrow:
        assert narrow.get("/api/v1/bookmarks").status_code == 403
        assert narrow.get("/api/v1/favourites").status_code == 403
    m = api.mastodon("bob")
    assert [int(s["id"]) for s in m.bookmarks()] == [p.pk for p in reversed(order)]
    assert [int(s["id"]) for s in m.favourites()] == [p.pk for p in reversed(order)]
    assert all(s["favourited"] and s["bookmarked"] for s in m.favourites())


def _home_queries(client, token, limit):
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/timelines/home", {"limit": limit}, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    assert len(response.json()) == limit
    return [q["sql"] for q in queries.captured_queries]


def test_a_home_page_costs_the_same_queries_whatever_its_size(api, people, settings):
    """Images, replies, mentions, echoes and quotes on the page: still no query per status."""
    alice, bob, carol = people["alice"], people["bob"], people["carol"]
    accounts.follow(alice, bob)
    accounts.follow(alice, carol)
    theirs = write(bob, "Something to answer @carol")
    for n in range(20):
        image = posts.upload_media(bob, jpeg_upload())
        write(bob, f"Picture {n} for @alice", media_ids=[image.pk])
        write(carol, f"Reply {n}", in_reply_to=theirs)
        write(alice, f"Quote {n}", echo_of=theirs)
    posts.echo(carol, theirs)
    posts.vote(alice, theirs)
    token = api.token("alice")
    eventually(lambda: len(Client().get("/api/v1/timelines/home", {"limit": 40}, HTTP_AUTHORIZATION=f"Bearer {token}").json()) == 40)
    client = Client()
    small = _home_queries(client, token, 5)
    big = _home_queries(client, token, 40)
    assert len(big) == len(small), "\n".join(big)
    assert len(big) <= 7, "\n".join(big)
