"""Reports over real HTTP: into the moderation queue, with Mastodon's categories and rules."""

import pytest
from django.test import Client

from rostra.moderation.models import QueueItem, Report
from rostra.posts import actions as posts
from rostra.posts.models import Visibility


def test_a_report_through_mastodon_py_lands_in_the_queue(api, people):
    bob = people["bob"]
    first = posts.create_post(bob, "Buy cheap watches")
    second = posts.create_post(bob, "Buy more cheap watches")
    client = api.mastodon("alice")
    made = client.report(bob.pk, status_ids=[first.pk, second.pk], comment="Spam, twice", category="spam", forward=True)
    assert made["category"] == "spam" and made["action_taken"] is False and made["forwarded"] is False
    assert made["target_account"]["username"] == "bob" and made["comment"] == "Spam, twice"
    assert sorted(made["status_ids"]) == sorted([str(first.pk), str(second.pk)])
    rows = Report.objects.filter(reporter=people["alice"]).order_by("post_id")
    assert [(r.post_id, r.reason, r.comment) for r in rows] == [
        (first.pk, "spam", "Spam, twice"), (second.pk, "spam", "Spam, twice")
    ]
    assert QueueItem.objects.filter(kind=QueueItem.Kind.REPORT, post_id=first.pk).exists()


def test_categories_and_rules_map_to_rostra_reasons(api, people):
    bob = people["bob"]
    with api.as_user("alice") as http:
        violation = http.post(
            "/api/v1/reports", data={"account_id": str(bob.pk), "category": "violation", "rule_ids[]": ["3", "1"]}
        )
        assert violation.status_code == 200, violation.text
        assert violation.json()["rule_ids"] == ["3", "1"] and violation.json()["status_ids"] == []
        legal = http.post("/api/v1/reports", json={"account_id": str(bob.pk), "category": "legal"})
        assert legal.status_code == 200 and legal.json()["category"] == "legal"
        bare = http.post("/api/v1/reports", json={"account_id": bob.pk})
        assert bare.status_code == 200 and bare.json()["category"] == "other"
    reasons = list(Report.objects.filter(reporter=people["alice"]).order_by("created_at").values_list("reason", flat=True))
    assert reasons == ["harassment", "illegal", "other"]


@pytest.mark.parametrize(
    "data, status",
    [
        ({}, 422),
        ({"account_id": "abc"}, 404),
        ({"account_id": "9" * 40}, 404),
        ({"account_id": "123456"}, 404),
        ({"account_id": "BOB", "category": "nonsense"}, 422),
        ({"account_id": "BOB", "category": "violation"}, 422),
        ({"account_id": "BOB", "category": "violation", "rule_ids": ["99"]}, 422),
        ({"account_id": "BOB", "comment": "x" * 5000}, 422),
        ({"account_id": "BOB", "comment": "a\x00b"}, 422),
        ({"account_id": "BOB", "status_ids": ["abc"]}, 404),
        ({"account_id": "BOB", "status_ids": ["CAROLS"]}, 404),
        ({"account_id": "ALICE"}, 422),
    ],
)
def test_bad_reports_are_refused_with_json(api, people, data, status):
    carols = posts.create_post(people["carol"], "Carol's own words")
    names = {"BOB": str(people["bob"].pk), "ALICE": str(people["alice"].pk), "CAROLS": str(carols.pk)}
    data = {k: ([names.get(v, v) for v in val] if isinstance(val, list) else names.get(val, val)) for k, val in data.items()}
    with api.as_user("alice") as http:
        response = http.post("/api/v1/reports", json=data)
    assert response.status_code == status, response.text
    assert "error" in response.json()
    assert Report.objects.count() == 0


def test_posts_the_reporter_cannot_see_cannot_be_reported(api, people):
    hidden = posts.create_post(people["bob"], "Only for my followers", visibility=Visibility.FOLLOWERS)
    with api.as_user("alice") as http:
        response = http.post("/api/v1/reports", json={"account_id": str(people["bob"].pk), "status_ids": [str(hidden.pk)]})
    assert response.status_code == 404 and Report.objects.count() == 0


def test_reports_need_the_scope_and_are_rate_limited_like_the_web(api, people, settings):
    with api.as_user("alice", scopes="read") as reader:
        assert reader.post("/api/v1/reports", json={"account_id": str(people["bob"].pk)}).status_code == 403
    with api.http() as anonymous:
        assert anonymous.post("/api/v1/reports", json={"account_id": str(people["bob"].pk)}).status_code == 401
    # The same "report" limit as the web's form; the test server's is huge, so this part runs
    # in this process with a small one.
    settings.ROSTRA_RATE_LIMITS = {**settings.ROSTRA_RATE_LIMITS, "report": "2/3600"}
    client = Client(HTTP_AUTHORIZATION=f"Bearer {api.token('alice')}")
    answers = [
        client.post("/api/v1/reports", {"account_id": str(people["bob"].pk)}).status_code for _ in range(3)
    ]
    assert answers == [200, 200, 429]
    assert Report.objects.count() == 2
