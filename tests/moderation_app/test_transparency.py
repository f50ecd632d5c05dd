"""The public transparency report: the numbers match what was decided, in HTML, JSON and CSV."""

import csv
import io

from django.test import Client
from django.utils import timezone

from rostra.moderation import actions
from rostra.moderation.models import Decision, QueueItem
from rostra.posts import actions as posts


def test_counts_by_category_source_action_and_appeal_outcome(alice, bob, carol, mod, mod2, admin):
    actions.add_rule(admin.user, "keyword", "casino", "reject", "spam")
    rejected = posts.create_post(alice, "casino tonight")  # automated
    for text, reason, action in (("a", "harassment", "remove"), ("b", "violence", "warn"), ("c", "harassment", "approve")):
        post = posts.create_post(carol, text)
        actions.report(bob, post=post, reason=reason)
        actions.decide(mod.user, QueueItem.objects.get(post_id=post.pk), action)
    appeal = actions.appeal(alice, Decision.objects.get(post_id=rejected.pk), "not spam")
    actions.decide_appeal(mod2.user, appeal, restore=True)

    client = Client()
    data = client.get("/transparency.json").json()
    month = data["months"][0]
    assert month["month"] == timezone.now().strftime("%Y-%m")
    assert month["total"] == 4
    assert month["by_source"] == {"automated": 1, "user report": 3}
    assert month["by_category"] == {"harassment": 2, "spam": 1, "violence": 1}
    assert month["by_action"] == {"approve": 1, "reject": 1, "remove": 1, "warn": 1}
    assert month["appeals"] == {"restored": 1, "upheld": 0}
    assert month["median_hours_to_decision"] is not None

    html = client.get("/transparency").content.decode()
    assert "<svg" in html and "Transparency report" in html and "<script" not in html.split("<main", 1)[-1]
    rows = list(csv.reader(io.StringIO(client.get("/transparency.csv").content.decode())))
    assert rows[0] == ["month", "measure", "key", "value"]
    assert [month["month"], "by_source", "user report", "3"] in rows
    assert [month["month"], "appeals", "restored", "1"] in rows


def test_an_empty_report_still_renders():
    client = Client()
    assert client.get("/transparency.json").json() == {"months": []}
    assert "No decisions yet" in client.get("/transparency").content.decode()
