"""The moderator's path and the author's, over HTTP against the real server, and the roles."""

import re

import pytest
from django.test import Client

from rostra.accounts import actions as accounts
from rostra.moderation import actions
from rostra.moderation.models import Appeal, Decision, QueueItem
from rostra.posts import actions as posts
from rostra.posts.models import Post, PostState
from tests.helpers import PASSWORD, make_user
from tests.moderation_app.conftest import Visitor

THREAT = "We should shoot the police that protect these senators"
IDIOM = "Wow, this heat is killing me today"


def test_held_removed_appealed_and_decided_by_a_second_moderator_over_http(live_rostra, alice, bob, mod, mod2, admin):
    accounts.follow(bob, alice)
    actions.add_rule(admin.user, "keyword", "shoot the police", "hold", "violence")
    author, follower, first, second = (Visitor(live_rostra) for _ in range(4))
    author.log_in("alice")
    follower.log_in("bob")
    first.log_in("mod_one")
    second.log_in("mod_two")

    response = author.post_form("/compose", {"text": THREAT, "visibility": "public"}, page="/compose")
    assert response.status_code == 302
    post = Post.objects.get(author=alice, text=THREAT)
    assert post.state == PostState.HELD
    assert THREAT not in follower.get("/").text
    assert follower.get(post.url).status_code == 404

    queue = first.get("/moderation")
    assert queue.status_code == 200 and THREAT in queue.text
    item = QueueItem.objects.get(post_id=post.pk)
    page = first.get(f"/moderation/items/{item.pk}")
    assert "Assign to me" in page.text and THREAT in page.text
    first.post_form(f"/moderation/items/{item.pk}/assign", page=f"/moderation/items/{item.pk}")
    response = first.post_form(
        f"/moderation/items/{item.pk}/decide",
        {"action": "remove", "category": "violence", "facts": "Calls for shooting police officers."},
        page=f"/moderation/items/{item.pk}",
    )
    assert response.status_code == 302
    assert not Post.objects.filter(pk=post.pk).exists()
    assert THREAT not in first.get("/moderation").text

    assert "decision" in author.get("/notifications").text.lower()
    decision = Decision.objects.get(account=alice, action="remove")
    assert decision.url in author.get("/decisions").text
    statement = author.get(decision.url).text
    for words in ("Statement of reasons", "Calls for shooting police officers.", "removed", "appeal"):
        assert words in statement
    response = author.post_form(decision.url, {"text": "I was quoting a headline."}, page=decision.url)
    assert response.status_code == 302
    appeal = Appeal.objects.get(decision=decision)

    # The moderator who acted cannot decide the appeal; the second one can.
    refused = first.post_form(f"/moderation/appeals/{appeal.pk}/decide", {"outcome": "restore"}, page=decision.url)
    assert refused.status_code == 403
    assert "Restore" in second.get(decision.url).text
    response = second.post_form(
        f"/moderation/appeals/{appeal.pk}/decide", {"outcome": "uphold", "facts": "No headline says this."}, page=decision.url
    )
    assert response.status_code == 302
    assert "Appeal rejected, decision upheld" in author.get(decision.url).text

    # A benign idiom with "kill" in it is published and reaches the follower.
    author.post_form("/compose", {"text": IDIOM, "visibility": "public"}, page="/compose")
    assert Post.objects.get(author=alice, text=IDIOM).state == PostState.PUBLISHED
    from tests.helpers import eventually

    eventually(lambda: IDIOM in follower.get("/").text, message="the idiom never reached the follower")

    # Bob reports an account through the form and sees the outcome page.
    form = follower.get("/report?account=alice")
    assert form.status_code == 200 and "Report an account" in form.text
    response = follower.post_form("/report", {"account": "alice", "reason": "harassment", "comment": "rude"}, page="/report?account=alice")
    assert response.status_code == 302 and "/reports" in response.headers["location"]
    assert "waiting for a moderator" in follower.get("/reports").text
    for v in (author, follower, first, second):
        v.close()


MODERATION_URLS = [
    "/moderation",
    "/moderation?mine=1",
    "/moderation/dashboard",
    "/moderation/items/{item}",
    "/moderation/rules",
    "/moderation/audit?q=x",
]
MODERATION_POSTS = [
    "/moderation/items/{item}/assign",
    "/moderation/items/{item}/decide",
    "/moderation/appeals/{appeal}/decide",
    "/moderation/decisions/{decision}/referral",
    "/moderation/rules",
]


def _fill(url, ids):
    return url.format(**ids)


@pytest.fixture
def world(alice, bob, mod, admin):
    actions.add_rule(admin.user, "keyword", "casino", "reject", "spam")
    rejected = posts.create_post(alice, "casino night")
    decision = Decision.objects.get(post_id=rejected.pk)
    appeal = actions.appeal(alice, decision, "not spam")
    other = posts.create_post(alice, "hello")
    actions.report(bob, post=other, reason="spam")
    item = QueueItem.objects.get(post_id=other.pk)
    return {"item": item.pk, "appeal": appeal.pk, "decision": decision.pk}


def test_plain_users_and_visitors_cannot_reach_any_moderation_url(world, bob):
    anonymous = Client()
    plain = Client()
    assert plain.login(username="bob", password=PASSWORD)
    assert 'href="/moderation"' not in plain.get("/").content.decode()
    for client in (anonymous, plain):
        for url in MODERATION_URLS:
            assert client.get(_fill(url, world)).status_code == 404, url
        for url in MODERATION_POSTS:
            assert client.post(_fill(url, world), {"action": "remove", "outcome": "restore", "referred": "1"}).status_code == 404, url
    assert QueueItem.objects.get(pk=world["item"]).status == "open"
    assert not Appeal.objects.get(pk=world["appeal"]).outcome_id
    # Someone else's decision is not theirs to read either.
    assert plain.get(f"/decisions/{world['decision']}").status_code == 404
    assert plain.get("/decisions/not-a-number").status_code == 404


def test_moderators_reach_every_page_and_admins_alone_change_policy(world, mod, admin):
    client = Client()
    assert client.login(username="mod_one", password=PASSWORD)
    for url in MODERATION_URLS:
        assert client.get(_fill(url, world)).status_code == 200, url
    assert client.get(f"/decisions/{world['decision']}").status_code == 200
    assert 'href="/moderation"' in client.get("/").content.decode()
    refused = client.post("/moderation/rules", {"what": "rule", "kind": "keyword", "pattern": "x", "action": "hold"})
    assert refused.status_code == 403
    boss = Client()
    assert boss.login(username="the_admin", password=PASSWORD)
    assert boss.post("/moderation/rules", {"what": "rule", "kind": "keyword", "pattern": "zzz", "action": "hold", "category": "spam"}).status_code == 302
    assert boss.post("/moderation/rules", {"what": "policy", "t_violence": "0.4", "life_target_minutes": "30"}).status_code == 302
    page = boss.get("/moderation/rules").content.decode()
    assert "zzz" in page and 'value="0.4"' in page
    audit = client.get("/moderation/audit?q=rule.add").content.decode()
    assert "zzz" in audit and "the_admin" in audit


def test_a_hostile_regex_is_refused_in_the_rules_editor(admin):
    client = Client()
    assert client.login(username="the_admin", password=PASSWORD)
    response = client.post("/moderation/rules", {"what": "rule", "kind": "regex", "pattern": "(a+)+$", "action": "hold", "category": "spam"})
    assert response.status_code == 422 and "Nested repeats" in response.content.decode()
