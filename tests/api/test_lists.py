"""Lists over real HTTP: create, edit, delete, members (only people followed), the list timeline."""

from mastodon import MastodonAPIError, MastodonNotFoundError
import pytest

from rostra.accounts import actions as accounts
from rostra.posts import actions as posts
from rostra.posts.models import Visibility
from tests.helpers import make_user


def test_a_list_made_through_mastodon_py_reads_its_members_posts(api, people):
    alice, bob, carol = people["alice"], people["bob"], people["carol"]
    accounts.follow(alice, bob)
    accounts.follow(alice, carol)
    client = api.mastodon("alice")
    friends = client.list_create("Friends")
    assert friends["title"] == "Friends" and friends["replies_policy"] == "list" and friends["exclusive"] is False
    client.list_accounts_add(friends["id"], [bob.pk])
    assert [a["username"] for a in client.list_accounts(friends["id"])] == ["bob"]
    bobs = posts.create_post(bob, "From bob")
    posts.create_post(carol, "From carol, not on the list")
    secret = posts.create_post(bob, "Followers only", visibility=Visibility.FOLLOWERS)
    timeline = client.timeline_list(friends["id"])
    assert [s["id"] for s in timeline] == [str(secret.pk), str(bobs.pk)]
    assert [lst["id"] for lst in client.account_lists(bob.pk)] == [friends["id"]]
    assert client.account_lists(carol.pk) == []
    renamed = client.list_update(friends["id"], "Close friends", replies_policy="none", exclusive=True)
    assert renamed["title"] == "Close friends" and renamed["replies_policy"] == "none" and renamed["exclusive"] is True
    assert [lst["title"] for lst in client.lists()] == ["Close friends"]
    client.list_accounts_delete(friends["id"], [bob.pk])
    assert client.list_accounts(friends["id"]) == []
    assert client.timeline_list(friends["id"]) == []
    client.list_delete(friends["id"])
    with pytest.raises(MastodonNotFoundError):
        client.list(friends["id"])


def test_only_people_followed_can_join_and_an_unfollow_drops_them(api, people):
    alice, bob, carol = people["alice"], people["bob"], people["carol"]
    accounts.follow(alice, bob)
    client = api.mastodon("alice")
    lst = client.list_create("Mixed")
    with pytest.raises(MastodonAPIError) as refused:
        client.list_accounts_add(lst["id"], [carol.pk])
    assert refused.value.args[1] == 422
    with api.as_user("alice") as http:
        missing = http.post(f"/api/v1/lists/{lst['id']}/accounts", data={"account_ids[]": "123456"})
        assert missing.status_code == 404 and missing.json() == {"error": "Record not found"}
        junk = http.post(f"/api/v1/lists/{lst['id']}/accounts", data={"account_ids[]": "abc"})
        assert junk.status_code == 404
        blank = http.post(f"/api/v1/lists/{lst['id']}/accounts", data={})
        assert blank.status_code == 422
    client.list_accounts_add(lst["id"], [bob.pk])
    with api.as_user("alice") as http:
        twice = http.post(f"/api/v1/lists/{lst['id']}/accounts", json={"account_ids": [str(bob.pk)]})
        assert twice.status_code == 422 and "already" in twice.json()["error"]
    posts.create_post(bob, "Still here")
    assert len(client.timeline_list(lst["id"])) == 1
    accounts.unfollow(alice, bob)
    assert client.list_accounts(lst["id"]) == []
    assert client.timeline_list(lst["id"]) == []


def test_replies_policy_decides_which_comments_show(api, people):
    alice, bob, carol = people["alice"], people["bob"], people["carol"]
    dave = make_user("dave")
    for target in (bob, carol, dave):
        accounts.follow(alice, target)
    client = api.mastodon("alice")
    lst = client.list_create("Talk", replies_policy="list")
    client.list_accounts_add(lst["id"], [bob.pk, carol.pk])
    to_carol = posts.create_post(bob, "to carol", in_reply_to=posts.create_post(carol, "carol says"))
    to_dave = posts.create_post(bob, "to dave", in_reply_to=posts.create_post(dave, "dave says"))
    to_self = posts.create_post(bob, "and more", in_reply_to=posts.create_post(bob, "bob says"))
    to_alice = posts.create_post(bob, "to alice", in_reply_to=posts.create_post(alice, "alice says"))

    def shown():
        return {s["id"] for s in client.timeline_list(lst["id"], limit=40) if s["in_reply_to_id"]}

    assert shown() == {str(to_carol.pk), str(to_self.pk), str(to_alice.pk)}
    client.list_update(lst["id"], "Talk", replies_policy="followed")
    assert shown() == {str(to_carol.pk), str(to_dave.pk), str(to_self.pk), str(to_alice.pk)}
    client.list_update(lst["id"], "Talk", replies_policy="none")
    assert shown() == {str(to_self.pk), str(to_alice.pk)}


def test_the_list_timeline_pages_and_hides_what_the_owner_does_not_see(api, people):
    alice, bob, carol = people["alice"], people["bob"], people["carol"]
    accounts.follow(alice, bob)
    accounts.follow(alice, carol)
    client = api.mastodon("alice")
    lst = client.list_create("All")
    client.list_accounts_add(lst["id"], [bob.pk, carol.pk])
    made = [posts.create_post(bob, f"post {i}").pk for i in range(5)]
    posts.create_post(carol, "about turnips")
    accounts.add_keyword_filter(alice, "turnips")
    with api.as_user("alice") as http:
        first = http.get(f"/api/v1/timelines/list/{lst['id']}", params={"limit": 2})
        assert [s["id"] for s in first.json()] == [str(made[4]), str(made[3])]
        following = http.get(first.headers["Link"].split(";")[0].strip("<>"))
        assert [s["id"] for s in following.json()] == [str(made[2]), str(made[1])]
        above = http.get(f"/api/v1/timelines/list/{lst['id']}", params={"min_id": str(made[0]), "limit": 2})
        assert [s["id"] for s in above.json()] == [str(made[2]), str(made[1])]
    accounts.mute(alice, bob)
    assert client.timeline_list(lst["id"]) == []


def test_lists_are_private_to_their_owner_and_bad_input_is_refused(api, people):
    client = api.mastodon("alice")
    mine = client.list_create("Mine")
    with api.as_user("bob") as bob:
        for path in (f"/api/v1/lists/{mine['id']}", f"/api/v1/lists/{mine['id']}/accounts", f"/api/v1/timelines/list/{mine['id']}"):
            response = bob.get(path)
            assert response.status_code == 404 and response.json() == {"error": "Record not found"}
        assert bob.delete(f"/api/v1/lists/{mine['id']}").status_code == 404
        assert bob.get("/api/v1/lists").json() == []
    with api.as_user("alice") as http:
        for bad in ("abc", "9" * 30, "1%00"):
            assert http.get(f"/api/v1/lists/{bad}").status_code == 404
            assert http.get(f"/api/v1/timelines/list/{bad}").status_code == 404
            assert http.get(f"/api/v1/accounts/{bad}/lists").status_code == 404
        assert http.post("/api/v1/lists", data={"title": ""}).status_code == 422
        assert http.post("/api/v1/lists", data={"title": "a\x00b"}).status_code == 422
        assert http.post("/api/v1/lists", data={"title": "x" * 500}).status_code == 422
        assert http.post("/api/v1/lists", data={"title": "ok", "replies_policy": "everyone"}).status_code == 422
        assert http.put(f"/api/v1/lists/{mine['id']}", json={"title": {"not": "text"}}).status_code == 422
    with api.as_user("alice", scopes="read:lists") as reader:
        assert reader.get("/api/v1/lists").status_code == 200
        assert reader.post("/api/v1/lists", data={"title": "no"}).status_code == 403
