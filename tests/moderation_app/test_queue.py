"""The queue's order, its clocks and the dashboard; the audit log's immutability."""

from datetime import timedelta

import pytest
from django.utils import timezone

from rostra.accounts import actions as accounts
from rostra.moderation import actions, queries
from rostra.moderation.models import AppendOnly, AuditEntry, ModerationSettings, QueueItem
from rostra.posts import actions as posts
from tests.helpers import make_user


def test_threats_come_first_then_reach_then_age(alice, bob, carol, mod):
    fans = [make_user(f"fan{i}") for i in range(7)]
    for fan in fans:
        accounts.follow(fan, carol)
    old_spam = posts.create_post(alice, "buy my stuff")
    actions.report(bob, post=old_spam, reason="spam")
    QueueItem.objects.filter(post_id=old_spam.pk).update(created_at=timezone.now() - timedelta(hours=5))
    new_spam = posts.create_post(alice, "buy my other stuff")
    actions.report(bob, post=new_spam, reason="spam")
    popular_spam = posts.create_post(carol, "buy stuff from a popular account")
    actions.report(bob, post=popular_spam, reason="spam")
    threat = posts.create_post(alice, "I know where you live and I will come for you")
    actions.report(bob, post=threat, reason="violence")
    hate = posts.create_post(alice, "an attack on a group")
    actions.report(bob, post=hate, reason="hate")

    order = [item.post_id for item in queries.open_queue()]
    assert order == [threat.pk, hate.pk, popular_spam.pk, old_spam.pk, new_spam.pk]


def test_more_reports_raise_an_item_but_never_open_a_second_one(alice, bob, carol):
    post = posts.create_post(alice, "something")
    actions.report(bob, post=post, reason="spam")
    first = QueueItem.objects.get(post_id=post.pk)
    actions.report(carol, post=post, reason="hate")
    item = QueueItem.objects.get(post_id=post.pk)
    assert item.pk == first.pk and item.reports_count == 2
    assert item.severity > first.severity and item.priority > first.priority
    assert item.due_at < first.due_at


def test_clocks_follow_the_instance_targets_and_mark_overdue_items(alice, bob, mod):
    settings = ModerationSettings.current()
    settings.life_target_minutes = 30
    settings.default_target_minutes = 600
    settings.save()
    threat = posts.create_post(alice, "I will hurt you")
    actions.report(bob, post=threat, reason="violence")
    spam = posts.create_post(alice, "spam")
    actions.report(bob, post=spam, reason="spam")
    t_item, s_item = QueueItem.objects.get(post_id=threat.pk), QueueItem.objects.get(post_id=spam.pk)
    assert abs((t_item.due_at - t_item.created_at) - timedelta(minutes=60 * 6)) < timedelta(seconds=5) or abs(
        (t_item.due_at - t_item.created_at) - timedelta(minutes=30)
    ) < timedelta(seconds=5)
    assert abs((s_item.due_at - s_item.created_at) - timedelta(minutes=600)) < timedelta(seconds=5)
    assert not s_item.overdue
    QueueItem.objects.filter(pk=s_item.pk).update(
        created_at=timezone.now() - timedelta(hours=11), due_at=timezone.now() - timedelta(hours=1)
    )
    s_item.refresh_from_db()
    assert s_item.overdue
    stats = queries.dashboard()
    assert stats["open"] == 2 and stats["overdue"] == 1
    assert stats["oldest_age"] >= timedelta(hours=11)
    actions.decide(mod.user, s_item, "approve")
    stats = queries.dashboard()
    assert stats["open"] == 1 and stats["overdue"] == 0
    assert stats["median_seconds"] >= 11 * 3600 - 5


def test_a_threat_to_life_gets_the_shortest_clock(alice, bob):
    ModerationSettings.objects.update_or_create(pk=1, defaults={"life_target_minutes": 45})
    from rostra.moderation.queue import enqueue

    post = posts.create_post(alice, "x")
    item = enqueue(QueueItem.Kind.HOLD, post=post, category="violence", severity=4, top_score=0.99)
    assert abs((item.due_at - item.created_at) - timedelta(minutes=45)) < timedelta(seconds=5)
    assert item.severity_name == "threat to life"


def test_assignment_is_recorded_in_the_audit_log(alice, bob, mod):
    post = posts.create_post(alice, "x")
    actions.report(bob, post=post, reason="spam")
    item = QueueItem.objects.get(post_id=post.pk)
    actions.assign(mod.user, item)
    assert QueueItem.objects.get(pk=item.pk).assigned_to == mod.user
    assert [i.pk for i in queries.open_queue(assigned_to=mod.user)] == [item.pk]
    assert AuditEntry.objects.filter(action="queue.assign", actor_name="mod_one").exists()


def test_the_audit_log_cannot_be_changed_or_shortened(mod, alice, bob):
    post = posts.create_post(alice, "x")
    actions.report(bob, post=post, reason="spam")
    actions.decide(mod.user, QueueItem.objects.get(post_id=post.pk), "warn")
    entry = AuditEntry.objects.get(action="decision.warn")
    entry.action = "decision.approve"
    with pytest.raises(AppendOnly):
        entry.save()
    with pytest.raises(AppendOnly):
        entry.delete()
    with pytest.raises(AppendOnly):
        AuditEntry.objects.filter(pk=entry.pk).update(action="nothing")
    with pytest.raises(AppendOnly):
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.get(pk=entry.pk).action == "decision.warn"
    # Deleting the moderator's user does not rewrite the log either.
    mod.user.delete()
    assert AuditEntry.objects.get(pk=entry.pk).actor_name == "mod_one"
