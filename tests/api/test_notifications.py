"""Notifications and markers over real HTTP: Mastodon's types, paging, hiding, dismissing, read positions."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from mastodon import MastodonNotFoundError

from rostra.accounts import actions as accounts
from rostra.core.ids import id_time
from rostra.moderation import actions as moderation
from rostra.moderation.models import Decision
from rostra.posts import actions as posts
from rostra.posts.models import Visibility
from rostra.timelines.models import Notification
from tests.helpers import make_user


def _story(people):
    """bob follows alice, comments on her post, mentions her, votes for it and echoes it twice."""
    alice, bob = people["alice"], people["bob"]
    accounts.follow(bob, alice)
    post = posts.create_post(alice, "A first post")
    posts.create_post(bob, "Agreed", in_reply_to=post)
    posts.create_post(bob, "Hello @alice")
    posts.vote(bob, post)
    posts.echo(bob, post)
    posts.echo(bob, post, text="Worth reading")
    return post


def test_every_kind_reads_back_as_its_mastodon_type_through_mastodon_py(api, people):
    post = _story(people)
    alice = api.mastodon("alice")
    found = alice.notifications()
    types = [n["type"] for n in found]
    assert sorted(types) == ["favourite", "follow", "mention", "mention", "quote", "reblog"]
    by_type = {n["type"]: n for n in found}
    assert by_type["follow"]["account"]["username"] == "bob" and by_type["follow"].get("status") is None
    assert by_type["reblog"]["status"]["id"] == str(post.pk)  # the person's own post, not the echo
    assert by_type["favourite"]["status"]["id"] == str(post.pk)
    assert by_type["quote"]["status"]["content"].startswith("<p>Worth reading")
    assert all(n["group_key"] == f"ungrouped-{n['id']}" for n in found)
    assert [n["type"] for n in alice.notifications(types=["mention"])] == ["mention", "mention"]
    left = alice.notifications(exclude_types=["mention", "follow", "quote"])
    assert sorted(n["type"] for n in left) == ["favourite", "reblog"]
    one = alice.notifications(id=found[0]["id"])
    assert one["id"] == found[0]["id"]


def test_unknown_types_select_nothing_and_account_id_narrows(api, people):
    _story(people)
    accounts.follow(people["carol"], people["alice"])
    with api.as_user("alice") as http:
        unknown = http.get("/api/v1/notifications", params={"types[]": ["no_such_type", "x\x00y"]})
        assert unknown.status_code == 200 and unknown.json() == []
        from_carol = http.get("/api/v1/notifications", params={"account_id": str(people["carol"].pk)})
        assert [n["account"]["username"] for n in from_carol.json()] == ["carol"]
        nobody = http.get("/api/v1/notifications", params={"account_id": "not-a-number"})
        assert nobody.status_code == 200 and nobody.json() == []


def test_pages_follow_link_headers_both_ways(api, people):
    alice = people["alice"]
    followers = [make_user(f"fan{i}") for i in range(5)]
    for fan in followers:
        accounts.follow(fan, alice)
    with api.as_user("alice") as http:
        first = http.get("/api/v1/notifications", params={"limit": 2})
        assert [n["account"]["username"] for n in first.json()] == ["fan4", "fan3"]
        assert 'rel="next"' in first.headers["Link"] and 'rel="prev"' in first.headers["Link"]
        next_url = first.headers["Link"].split(";")[0].strip("<>")
        second = http.get(next_url)
        assert [n["account"]["username"] for n in second.json()] == ["fan2", "fan1"]
        bottom_id = second.json()[-1]["id"]
        above = http.get("/api/v1/notifications", params={"min_id": bottom_id, "limit": 2})
        assert [n["account"]["username"] for n in above.json()] == ["fan3", "fan2"]
        since = http.get("/api/v1/notifications", params={"since_id": bottom_id, "limit": 2})
        assert [n["account"]["username"] for n in since.json()] == ["fan4", "fan3"]
        bad = http.get("/api/v1/notifications", params={"max_id": "abc"})
        assert bad.status_code == 422 and "error" in bad.json()


def test_blocked_muted_and_no_longer_visible_are_left_out(api, people):
    alice, bob, carol = people["alice"], people["bob"], people["carol"]
    accounts.follow(bob, alice)
    accounts.follow(carol, alice)
    dave = make_user("dave")
    accounts.follow(alice, dave)
    secret = posts.create_post(dave, "For followers, @alice", visibility=Visibility.FOLLOWERS)
    posts.create_post(carol, "Hey @alice, about cabbages")
    accounts.block(alice, bob)
    with api.as_user("alice") as http:
        names = lambda: sorted((n["type"], n["account"]["username"]) for n in http.get("/api/v1/notifications").json())  # noqa: E731
        assert names() == [("follow", "carol"), ("mention", "carol"), ("mention", "dave")]
        accounts.add_keyword_filter(alice, "cabbages")
        assert names() == [("follow", "carol"), ("mention", "dave")]
        accounts.mute(alice, carol)
        assert names() == [("mention", "dave")]
        notice = Notification.objects.get(recipient=alice, post=secret)
        posts.delete_post(dave, secret)
        assert names() == []
        assert http.get(f"/api/v1/notifications/{notice.pk}").status_code == 404


def test_a_moderation_decision_is_a_moderation_warning(api, people):
    alice = people["alice"]
    admin = make_user("boss", role="admin")
    post = posts.create_post(alice, "Something")
    item = moderation.report(people["bob"], post=post, reason="spam")
    moderation.decide(admin.user, item.queue_item, "remove", category="spam", facts="It was spam.")
    with api.as_user("alice") as http:
        found = http.get("/api/v1/notifications", params={"types[]": "moderation_warning"}).json()
    assert len(found) == 1
    warning = found[0]["moderation_warning"]
    assert warning["action"] == "delete_statuses" and "It was spam." in warning["text"]
    assert warning["status_ids"] == [str(post.pk)] and warning["target_account"]["username"] == "alice"


def test_a_decision_made_in_the_same_millisecond_as_its_notice_still_shows(api, people):
    """IDs keep milliseconds, decisions keep microseconds: a decision late in the notice's
    millisecond (as happens on a fast machine) is still the one the notice is about."""
    alice = people["alice"]
    admin = make_user("boss", role="admin")
    post = posts.create_post(alice, "Something")
    item = moderation.report(people["bob"], post=post, reason="spam")
    decision = moderation.decide(admin.user, item.queue_item, "remove", category="spam", facts="Late in the ms.")
    notice = Notification.objects.get(recipient=alice, kind=Notification.Kind.DECISION)
    Decision.objects.filter(pk=decision.pk).update(created_at=id_time(notice.pk) + timedelta(microseconds=999))
    with api.as_user("alice") as http:
        found = http.get("/api/v1/notifications", params={"types[]": "moderation_warning"}).json()
    assert [n["moderation_warning"]["text"] for n in found] == [Decision.objects.get(pk=decision.pk).statement]
    assert "Late in the ms." in found[0]["moderation_warning"]["text"]


def test_dismiss_and_clear_go_for_good_and_others_cannot_touch_them(api, people):
    _story(people)
    bob_mine = Notification.objects.filter(recipient=people["alice"]).first()
    with api.as_user("bob") as bob:
        refused = bob.post(f"/api/v1/notifications/{bob_mine.pk}/dismiss")
        assert refused.status_code == 404 and refused.json() == {"error": "Record not found"}
    alice = api.mastodon("alice")
    first = alice.notifications()[0]
    alice.notifications_dismiss(first["id"])
    assert first["id"] not in [n["id"] for n in alice.notifications()]
    with pytest.raises(MastodonNotFoundError):
        alice.notifications(id=first["id"])
    with api.as_user("alice") as http:
        for bad in ("abc", "9" * 40, "-1", "1%00"):
            response = http.post(f"/api/v1/notifications/{bad}/dismiss")
            assert response.status_code == 404 and response.json()["error"] == "Record not found"
            assert http.get(f"/api/v1/notifications/{bad}").status_code == 404
    alice.notifications_clear()
    assert alice.notifications() == []
    assert Notification.objects.filter(recipient=people["alice"]).count() == 0


def test_scopes_are_checked(api, people):
    _story(people)
    with api.as_user("alice", scopes="read:statuses") as http:
        assert http.get("/api/v1/notifications").status_code == 403
    with api.as_user("alice", scopes="read:notifications") as http:
        assert http.get("/api/v1/notifications").status_code == 200
        assert http.post("/api/v1/notifications/clear").status_code == 403
    with api.http() as anonymous:
        assert anonymous.get("/api/v1/notifications").status_code == 401


def test_a_page_costs_the_same_number_of_queries_whatever_its_size(api, people):
    alice = people["alice"]
    post = posts.create_post(alice, "Vote for me")
    for i in range(12):
        fan = make_user(f"voter{i}")
        posts.vote(fan, post)
        posts.create_post(fan, f"Hi @alice number {i}")
    token = api.token("alice")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")

    def count(limit):
        client.get("/api/v1/notifications", {"limit": limit})  # warm per-process caches
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/api/v1/notifications", {"limit": limit})
        assert response.status_code == 200 and len(response.json()) == limit
        return len(queries)

    assert count(2) == count(20)


def test_markers_save_both_timelines_and_move_the_unread_count(api, people):
    _story(people)
    alice = api.mastodon("alice")
    newest = alice.notifications()[0]["id"]
    with api.as_user("alice") as http:
        assert http.get("/api/v1/notifications/unread_count").json() == {"count": 6}
        assert http.get("/api/v1/markers", params={"timeline[]": ["home", "notifications"]}).json() == {}
    saved = alice.markers_set(["home", "notifications"], [12345, int(newest)])
    assert saved["home"]["last_read_id"] == "12345" and saved["home"]["version"] == 1
    assert saved["notifications"]["last_read_id"] == newest
    read = alice.markers_get(["home", "notifications"])
    assert read["notifications"]["last_read_id"] == newest and read["home"]["last_read_id"] == "12345"
    with api.as_user("alice") as http:
        assert http.get("/api/v1/notifications/unread_count").json() == {"count": 0}
        again = http.post("/api/v1/markers", json={"home": {"last_read_id": "12399"}})
        assert again.status_code == 200 and again.json()["home"]["version"] == 2
        assert again.json()["home"]["last_read_id"] == "12399"
        only_home = http.get("/api/v1/markers", params={"timeline[]": "home"}).json()
        assert list(only_home) == ["home"]
        for bad in ("abc", "9" * 25, "-3"):
            refused = http.post("/api/v1/markers", data={"home[last_read_id]": bad})
            assert refused.status_code == 422 and "error" in refused.json()
    from rostra.accounts.models import Account

    assert Account.objects.get(pk=people["alice"].pk).notifications_seen_id == int(newest)
