"""Statuses over real HTTP: posting (with images, replies, echoes, quotes), reading, editing,
deleting, votes and bookmarks; who may see what; moderation; Idempotency-Key; bad input."""

import pytest
from mastodon import MastodonAPIError, MastodonNotFoundError

from rostra.accounts import actions as accounts
from rostra.accounts.models import User
from rostra.moderation import actions as moderation
from rostra.posts import actions as posts
from rostra.posts.models import Post, PostState, Visibility
from tests.helpers import make_user
from tests.images import jpeg_bytes, png_bytes


def test_a_status_with_an_image_posted_through_mastodon_py_reads_back_for_anyone(api, people):
    alice = api.mastodon("alice")
    image = alice.media_post(jpeg_bytes(size=(120, 80)), mime_type="image/jpeg", description="A red square")
    assert image["type"] == "image" and image["description"] == "A red square"
    status = alice.status_post(
        "Hello #Rostra, from an app", media_ids=[image["id"]], spoiler_text="colours", language="en"
    )
    assert status["content"].startswith("<p>Hello")
    assert status["account"]["username"] == "alice"
    assert status["visibility"] == "public" and status["sensitive"] is True
    assert status["spoiler_text"] == "colours" and status["language"] == "en"
    assert [m["id"] for m in status["media_attachments"]] == [image["id"]]
    assert status["media_attachments"][0]["meta"]["original"]["width"] == 120
    assert [t["name"] for t in status["tags"]] == ["rostra"]
    assert status["favourited"] is False and status["reblogged"] is False and status["bookmarked"] is False
    with api.http() as anonymous:
        shown = anonymous.get(f"/api/v1/statuses/{status['id']}")
    assert shown.status_code == 200, shown.text
    assert shown.json()["id"] == status["id"] and shown.json()["media_attachments"][0]["description"] == "A red square"
    with api.http() as anonymous:
        assert anonymous.get(shown.json()["media_attachments"][0]["url"]).status_code == 200


def test_a_reply_names_whom_it_answers_and_the_context_has_both_sides(api, people):
    alice, bob = api.mastodon("alice"), api.mastodon("bob")
    root = alice.status_post("What should Rostra build next?")
    reply = bob.status_reply(root, "An API, please")
    assert reply["in_reply_to_id"] == root["id"]
    assert reply["in_reply_to_account_id"] == root["account"]["id"]
    assert [m["acct"] for m in reply["mentions"]] == ["alice"]
    answer = alice.status_reply(reply, "Done!")
    context = bob.status_context(reply["id"])
    assert [s["id"] for s in context["ancestors"]] == [root["id"]]
    assert [s["id"] for s in context["descendants"]] == [answer["id"]]
    assert alice.status(root["id"])["replies_count"] == 1


def test_echo_vote_and_bookmark_and_take_them_back(api, people):
    alice, bob = api.mastodon("alice"), api.mastodon("bob")
    post = alice.status_post("Echo me")
    echo = bob.status_reblog(post["id"])
    assert echo["reblog"]["id"] == post["id"] and echo["reblogged"] is True
    assert echo["account"]["username"] == "bob" and echo["reblog"]["reblogs_count"] == 1
    assert bob.status_reblog(post["id"])["id"] == echo["id"], "echoing twice is still one echo"
    voted = bob.status_favourite(post["id"])
    assert voted["favourited"] is True and voted["favourites_count"] == 1
    kept = bob.status_bookmark(post["id"])
    assert kept["bookmarked"] is True
    assert [a["username"] for a in alice.status_favourited_by(post["id"])] == ["bob"]
    assert [a["username"] for a in alice.status_reblogged_by(post["id"])] == ["bob"]
    shown = bob.status(post["id"])
    assert (shown["favourited"], shown["reblogged"], shown["bookmarked"]) == (True, True, True)
    assert alice.status(post["id"])["favourited"] is False
    assert bob.status_unreblog(post["id"])["reblogged"] is False
    assert bob.status_unfavourite(post["id"])["favourites_count"] == 0
    assert bob.status_unbookmark(post["id"])["bookmarked"] is False
    assert alice.status_reblogged_by(post["id"]) == []
    with pytest.raises(MastodonNotFoundError):
        bob.status(echo["id"])


def test_a_quote_is_an_echo_with_words(api, people):
    post = api.mastodon("alice").status_post("Quote me")
    with api.as_user("bob") as bob:
        response = bob.post("/api/v1/statuses", json={"status": "So true", "quoted_status_id": post["id"]})
    assert response.status_code == 200, response.text
    quote = response.json()
    assert quote["reblog"] is None and quote["content"] == "<p>So true</p>"
    assert quote["quote"]["state"] == "accepted" and quote["quote"]["quoted_status"]["id"] == post["id"]


def test_edit_keeps_the_history_and_the_source(api, people):
    alice = api.mastodon("alice")
    post = alice.status_post("First words")
    edited = alice.status_update(post["id"], "Second words", spoiler_text="careful")
    assert edited["content"] == "<p>Second words</p>" and edited["edited_at"]
    assert edited["spoiler_text"] == "careful" and edited["sensitive"] is True
    history = alice.status_history(post["id"])
    assert [h["content"] for h in history] == ["<p>First words</p>", "<p>Second words</p>"]
    assert history[-1]["spoiler_text"] == "careful" and history[0]["account"]["username"] == "alice"
    assert alice.status_source(post["id"]) == {"id": post["id"], "text": "Second words", "spoiler_text": "careful"}
    with api.as_user("bob") as bob:
        assert bob.put(f"/api/v1/statuses/{post['id']}", json={"status": "mine now"}).status_code == 404
        assert bob.get(f"/api/v1/statuses/{post['id']}/source").status_code == 404


def test_an_edit_cannot_swap_images_but_may_repeat_them(api, people):
    alice = api.mastodon("alice")
    image = alice.media_post(png_bytes(), mime_type="image/png")
    other = alice.media_post(png_bytes(), mime_type="image/png")
    post = alice.status_post("With a picture", media_ids=[image["id"]])
    assert alice.status_update(post["id"], "Still with it", media_ids=[image["id"]])["content"] == "<p>Still with it</p>"
    with pytest.raises(MastodonAPIError) as refused:
        alice.status_update(post["id"], "Swapped", media_ids=[other["id"]])
    assert refused.value.args[1] == 422


def test_delete_answers_the_text_for_redrafting_then_the_post_is_gone(api, people):
    alice = api.mastodon("alice")
    post = alice.status_post("Soon gone #bye")
    with api.as_user("bob") as bob:
        assert bob.delete(f"/api/v1/statuses/{post['id']}").status_code == 404
    deleted = alice.status_delete(post["id"])
    assert deleted["id"] == post["id"] and deleted["text"] == "Soon gone #bye"
    with pytest.raises(MastodonNotFoundError):
        alice.status(post["id"])
    assert not Post.objects.filter(pk=int(post["id"])).exists()


def test_followers_only_and_direct_posts_are_404_to_strangers(api, people):
    accounts.follow(people["carol"], people["alice"])
    with api.as_user("alice") as alice:
        private = alice.post("/api/v1/statuses", data={"status": "For my followers", "visibility": "private"}).json()
        direct = alice.post("/api/v1/statuses", data={"status": "Psst @carol", "visibility": "direct"}).json()
    assert private["visibility"] == "private" and direct["visibility"] == "direct"
    with api.as_user("bob") as bob, api.as_user("carol") as carol, api.http() as anonymous:
        for post in (private, direct):
            for client in (bob, anonymous):
                response = client.get(f"/api/v1/statuses/{post['id']}")
                assert response.status_code == 404 and response.json() == {"error": "Record not found"}
            assert carol.get(f"/api/v1/statuses/{post['id']}").status_code == 200
        assert bob.post(f"/api/v1/statuses/{private['id']}/favourite").status_code == 404
        assert carol.post(f"/api/v1/statuses/{private['id']}/reblog").status_code == 422
        many = bob.get("/api/v1/statuses", params=[("id[]", private["id"]), ("id[]", direct["id"])])
        assert many.status_code == 200 and many.json() == []
        assert [s["id"] for s in carol.get("/api/v1/statuses", params=[("id[]", direct["id"]), ("id[]", private["id"])]).json()] == [
            direct["id"],
            private["id"],
        ]


@pytest.fixture
def rules(db):
    """An admin's instance rules: posts about casinos are rejected, threats held."""
    admin = make_user("the_admin", role=User.Role.ADMIN)
    moderation.add_rule(admin.user, "keyword", "casino", "reject", "spam")
    moderation.add_rule(admin.user, "keyword", "shoot the police", "hold", "violence")


def test_a_held_post_is_shown_to_its_author_only(api, people, rules):
    accounts.follow(people["bob"], people["alice"])
    with api.as_user("alice") as alice:
        response = alice.post("/api/v1/statuses", json={"status": "We should shoot the police"})
        assert response.status_code == 200, response.text
        held = response.json()
        assert held["rostra"] == {"state": "held"}
        assert alice.get(f"/api/v1/statuses/{held['id']}").status_code == 200
    with api.as_user("bob") as bob, api.http() as anonymous:
        assert bob.get(f"/api/v1/statuses/{held['id']}").status_code == 404
        assert anonymous.get(f"/api/v1/statuses/{held['id']}").status_code == 404
        assert held["id"] not in [s["id"] for s in bob.get("/api/v1/timelines/home").json()]
        assert held["id"] not in [s["id"] for s in anonymous.get("/api/v1/timelines/public").json()]
        assert bob.post("/api/v1/statuses", json={"status": "hm", "in_reply_to_id": held["id"]}).status_code == 404


def test_a_rejected_post_is_answered_422_with_the_reason(api, people, rules):
    with api.as_user("alice") as alice:
        response = alice.post("/api/v1/statuses", json={"status": "Best online casino bonus"})
    assert response.status_code == 422
    error = response.json()["error"]
    assert "rejected" in error and "casino" in error
    assert response.json()["decision_url"].startswith(api.url)
    assert Post.objects.get(author=people["alice"]).state == PostState.REJECTED


def test_the_same_idempotency_key_posts_once(api, people):
    with api.as_user("alice") as alice, api.as_user("bob") as bob:
        headers = {"Idempotency-Key": "compose-1234"}
        first = alice.post("/api/v1/statuses", data={"status": "Only once"}, headers=headers).json()
        again = alice.post("/api/v1/statuses", data={"status": "Only once"}, headers=headers).json()
        other = bob.post("/api/v1/statuses", data={"status": "Only once"}, headers=headers).json()
        fresh = alice.post("/api/v1/statuses", data={"status": "Only once"}, headers={"Idempotency-Key": "other"}).json()
    assert first["id"] == again["id"]
    assert len({first["id"], other["id"], fresh["id"]}) == 3
    assert Post.objects.filter(author=people["alice"]).count() == 2
    # Mastodon.py sends the header too.
    m = api.mastodon("carol")
    assert m.status_post("Retry", idempotency_key="k")["id"] == m.status_post("Retry", idempotency_key="k")["id"]


@pytest.mark.parametrize(
    "body, status, words",
    [
        ({"status": "x" * 1001}, 422, "at most 1000 characters"),
        ({"status": "nul \x00 byte"}, 422, "NUL"),
        ({"status": ""}, 422, "Write something"),
        ({"status": "hi", "visibility": "everyone"}, 422, "Visibility"),
        ({"status": "hi", "media_ids": [str(n) for n in range(5000)]}, 422, "at most 4 images"),
        ({"status": "hi", "media_ids": ["12345"]}, 422, "not found"),
        ({"status": "hi", "media_ids": [{"x": 1}]}, 422, "not found"),
        ({"status": "hi", "in_reply_to_id": "abc"}, 404, "Record not found"),
        ({"status": "hi", "in_reply_to_id": "99999999999999999999999"}, 404, "Record not found"),
        ({"status": ["a", "list"]}, 422, "must be text"),
        ({"status": "hi", "poll": {"options": ["a", "b"], "expires_in": 300}}, 422, "polls"),
    ],
)
def test_bad_statuses_are_refused_with_the_reason(api, people, body, status, words):
    with api.as_user("alice") as alice:
        response = alice.post("/api/v1/statuses", json=body)
    assert response.status_code == status, response.text
    assert words in response.json()["error"]
    assert not Post.objects.filter(author=people["alice"]).exists()


def test_broken_bodies_and_odd_ids_never_reach_a_server_error(api, people):
    with api.as_user("alice") as alice:
        broken = alice.post("/api/v1/statuses", content=b'{"status": "hi"', headers={"Content-Type": "application/json"})
        assert broken.status_code == 400 and "JSON" in broken.json()["error"]
        not_object = alice.post("/api/v1/statuses", content=b'["hi"]', headers={"Content-Type": "application/json"})
        assert not_object.status_code == 400
        for odd in ("abc", "-1", "1.5", "99999999999999999999", "%00", "0x10"):
            for path in ("", "/context", "/favourite", "/history", "/reblogged_by"):
                method = alice.post if path == "/favourite" else alice.get
                response = method(f"/api/v1/statuses/{odd}{path}")
                assert response.status_code == 404, (odd, path, response.text)
                assert response.json() == {"error": "Record not found"}
        assert alice.get("/api/v1/statuses/1/nonsense").status_code == 404
        assert alice.patch("/api/v1/statuses/1").status_code == 405


def test_scopes_and_sign_in_are_enforced(api, people):
    post = posts.create_post(people["alice"], "Public words", rate_limit=False)
    with api.as_user("bob", scopes="read") as reader, api.http() as anonymous:
        assert reader.post("/api/v1/statuses", data={"status": "no"}).status_code == 403
        assert reader.post(f"/api/v1/statuses/{post.pk}/favourite").status_code == 403
        assert reader.get(f"/api/v1/statuses/{post.pk}").status_code == 200
        assert anonymous.post("/api/v1/statuses", data={"status": "no"}).status_code == 401
        assert anonymous.get(f"/api/v1/statuses/{post.pk}").json()["favourited"] is False
    with api.as_user("bob", scopes="write:favourites read:statuses") as voter:
        assert voter.post(f"/api/v1/statuses/{post.pk}/favourite").status_code == 200
        assert voter.post(f"/api/v1/statuses/{post.pk}/bookmark").status_code == 403
    with api.as_user("bob", scopes="write:bookmarks") as keeper:
        assert keeper.post(f"/api/v1/statuses/{post.pk}/bookmark").status_code == 200


def test_echo_visibility_and_plain_echo_rules(api, people):
    post = posts.create_post(people["alice"], "Echo at will", rate_limit=False)
    with api.as_user("bob") as bob:
        unlisted = bob.post(f"/api/v1/statuses/{post.pk}/reblog", data={"visibility": "unlisted"})
        assert unlisted.status_code == 200 and unlisted.json()["visibility"] == "unlisted"
        again = bob.post(f"/api/v1/statuses/{unlisted.json()['id']}/favourite")
        assert again.status_code == 200 and again.json()["id"] == str(post.pk), "voting for an echo votes for the post"
        direct = bob.post(f"/api/v1/statuses/{post.pk}/reblog", data={"visibility": "direct"})
        assert direct.status_code == 422


def test_a_deleted_post_takes_its_echoes_and_the_reply_stays(api, people):
    alice, bob = api.mastodon("alice"), api.mastodon("bob")
    post = alice.status_post("Going away")
    echo = bob.status_reblog(post["id"])
    reply = bob.status_reply(post, "Stay")
    alice.status_delete(post["id"])
    with pytest.raises(MastodonNotFoundError):
        bob.status(echo["id"])
    assert bob.status(reply["id"])["in_reply_to_id"] is None
    assert Post.objects.get(pk=int(reply["id"])).visibility == Visibility.PUBLIC
