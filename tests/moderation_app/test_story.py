"""The trust-and-safety story, through the actions: held at creation, removed from the queue,
the author told why, an appeal decided by a second moderator."""

import pytest

from rostra.accounts import actions as accounts
from rostra.core.errors import ActionError, Forbidden
from rostra.moderation import actions
from rostra.moderation.models import Decision, QueueItem, Screening
from rostra.posts import actions as posts
from rostra.posts.models import Post, PostState
from rostra.timelines import queries as feeds
from rostra.timelines.models import Notification

THREAT = "I am going to shoot the senator tomorrow, he will not survive the day"
IDIOM = "This commute is killing me, I need a coffee"


def _feed_texts(account):
    return [p.text for p in feeds.home_feed(account).items]


def _remove_and_appeal(author, follower, mod, mod2, post):
    assert post.state == PostState.HELD
    assert THREAT not in _feed_texts(follower)
    item = QueueItem.objects.get(post_id=post.pk, status="open")

    decision = actions.decide(mod.user, item, "remove", facts="A threat to shoot a named person.")
    assert not Post.objects.filter(pk=post.pk).exists()
    assert THREAT not in _feed_texts(follower)
    assert decision.post_text == THREAT
    assert Notification.objects.filter(recipient=author, kind="decision").exists()
    for words in ("removed", "violence", "A threat to shoot", "decided by a moderator", "appeal"):
        assert words in decision.statement

    appeal = actions.appeal(author, decision, "It was a quote from a film.")
    with pytest.raises(ActionError, match="once"):
        actions.appeal(author, decision, "Again")
    with pytest.raises(Forbidden, match="different moderator"):
        actions.decide_appeal(mod.user, appeal, restore=True)
    outcome = actions.decide_appeal(mod2.user, appeal, restore=False, facts="No film has these words.")
    assert outcome.action == "uphold" and outcome.moderator == mod2.user
    appeal.refresh_from_db()
    assert appeal.outcome == outcome and appeal.decided_by == mod2.user
    return decision


def test_a_post_matching_a_hold_rule_is_held_then_removed_and_the_appeal_goes_to_another_moderator(
    alice, bob, mod, mod2, admin
):
    accounts.follow(bob, alice)
    actions.add_rule(admin.user, "keyword", "shoot the senator", "hold", "violence")
    post = posts.create_post(alice, THREAT)
    _remove_and_appeal(alice, bob, mod, mod2, post)


def test_the_model_holds_a_violent_post_and_publishes_a_benign_idiom(model_screening, alice, bob, mod, mod2):
    accounts.follow(bob, alice)
    post = posts.create_post(alice, THREAT)
    screening = Screening.objects.get(post_id=post.pk)
    assert screening.model_version and screening.scores["violence"] >= 0.5
    item = QueueItem.objects.get(post_id=post.pk)
    assert item.category == "violence" and item.severity >= 3
    decision = _remove_and_appeal(alice, bob, mod, mod2, post)
    assert decision.model_version == screening.model_version and decision.scores
    assert "Model" in decision.statement

    idiom = posts.create_post(alice, IDIOM)
    assert idiom.state == PostState.PUBLISHED
    assert IDIOM in _feed_texts(bob)


def test_a_failing_model_holds_the_post_and_logs_why(settings, alice, caplog):
    settings.ROSTRA_SCREENING = "model"
    settings.ROSTRA_SCREENING_TIMEOUT = 0  # no time at all: the model cannot answer (or is missing)
    post = posts.create_post(alice, "A perfectly ordinary post about gardening")
    assert post.state == PostState.HELD
    assert Post.objects.filter(pk=post.pk).exists()
    assert Screening.objects.get(post_id=post.pk).error
    assert QueueItem.objects.filter(post_id=post.pk, status="open").exists()
    assert "holding the post" in caplog.text


def test_approving_a_held_post_publishes_it_to_followers(alice, bob, mod, admin):
    accounts.follow(bob, alice)
    actions.add_rule(admin.user, "keyword", "gardening", "hold", "other")
    post = posts.create_post(alice, "I love gardening")
    item = QueueItem.objects.get(post_id=post.pk)
    actions.decide(mod.user, item, "approve")
    assert Post.objects.get(pk=post.pk).state == PostState.PUBLISHED
    assert "I love gardening" in _feed_texts(bob)
    with pytest.raises(ActionError, match="already decided"):
        actions.decide(mod.user, item, "remove")


def test_restoring_on_appeal_republishes_a_rejected_post(alice, mod, admin):
    actions.add_rule(admin.user, "keyword", "casino", "reject", "spam")
    post = posts.create_post(alice, "Our town casino is closing, sad news")
    decision = Decision.objects.get(post_id=post.pk)
    appeal = actions.appeal(alice, decision, "It is local news, not spam.")
    outcome = actions.decide_appeal(mod.user, appeal, restore=True)
    assert outcome.action == "restore" and "published again" in outcome.facts
    assert Post.objects.get(pk=post.pk).state == PostState.PUBLISHED


def test_only_the_affected_person_appeals_and_never_after_30_days(alice, bob, mod, admin):
    actions.add_rule(admin.user, "keyword", "casino", "reject", "spam")
    post = posts.create_post(alice, "casino")
    decision = Decision.objects.get(post_id=post.pk)
    with pytest.raises(ActionError):
        actions.appeal(bob, decision, "not mine")
    from datetime import timedelta

    from django.utils import timezone

    Decision.objects.filter(pk=decision.pk).update(appeal_deadline=timezone.now() - timedelta(days=1))
    decision.refresh_from_db()
    with pytest.raises(ActionError, match="no longer"):
        actions.appeal(alice, decision, "too late")


def test_suspension_limit_and_warning_take_effect_and_can_be_lifted(alice, bob, carol, mod, mod2):
    accounts.follow(bob, alice)
    actions.report(bob, account=alice, reason="harassment")
    item = QueueItem.objects.get(account=alice, status="open")
    decision = actions.decide(mod.user, item, "suspend", days=7)
    alice.refresh_from_db()
    assert alice.is_suspended
    with pytest.raises(Forbidden, match="suspended"):
        posts.create_post(alice, "hello?")
    from django.contrib.auth import authenticate

    from tests.helpers import PASSWORD

    assert authenticate(username="alice", password=PASSWORD) is None
    appeal = actions.appeal(alice, decision, "I did nothing")
    actions.decide_appeal(mod2.user, appeal, restore=True)
    alice.refresh_from_db()
    assert not alice.is_suspended
    assert authenticate(username="alice", password=PASSWORD) is not None

    actions.report(carol, account=alice, reason="spam")
    actions.decide(mod.user, QueueItem.objects.get(account=alice, status="open"), "limit")
    alice.refresh_from_db()
    post = posts.create_post(alice, "only my followers see this #gardening")
    assert post.visibility == "followers"
    assert "only my followers see this #gardening" in _feed_texts(bob)
    assert post.pk not in [p.pk for p in feeds.discover(carol).items]

    actions.report(carol, account=alice, reason="spam")
    actions.decide(mod.user, QueueItem.objects.get(account=alice, status="open"), "warn")
    alice.refresh_from_db()
    assert alice.strikes == 1


def test_a_post_under_police_referral_cannot_be_deleted_by_anyone(alice, bob, mod):
    post = posts.create_post(alice, "meet me at the square at noon, bring the rifles")
    actions.report(bob, post=post, reason="violence", comment="a planned attack")
    item = QueueItem.objects.get(post_id=post.pk)
    decision = actions.decide(mod.user, item, "remove", police_referral=True, police_note="Sent to city police, ref 42")
    post.refresh_from_db()
    assert post.state == PostState.REJECTED  # hidden from everyone, kept for the police
    assert post.pk not in [p.pk for p in feeds.discover(bob).items]
    with pytest.raises(Forbidden, match="law-enforcement"):
        posts.delete_post(alice, post)
    with pytest.raises(Forbidden, match="law-enforcement"):
        posts.delete_post(mod, post)
    actions.set_police_referral(mod.user, decision, False)
    assert not Post.objects.filter(pk=post.pk).exists()


def test_the_reporter_is_told_the_outcome(alice, bob, mod):
    post = posts.create_post(alice, "you are all idiots")
    report = actions.report(bob, post=post, reason="harassment")
    actions.decide(mod.user, QueueItem.objects.get(post_id=post.pk), "content_warning")
    report.refresh_from_db()
    assert report.outcome == "Content warning added"
    assert Notification.objects.filter(recipient=bob, kind="report_outcome").exists()
    post.refresh_from_db()
    assert post.sensitive and post.spoiler_text


def test_reports_need_a_reason_and_a_subject_and_are_rate_limited(settings, alice, bob):
    post = posts.create_post(alice, "hello")
    with pytest.raises(ActionError, match="reason"):
        actions.report(bob, post=post, reason="because")
    with pytest.raises(ActionError, match="own"):
        actions.report(alice, post=post, reason="spam")
    settings.ROSTRA_RATE_LIMITS = {**settings.ROSTRA_RATE_LIMITS, "report": "2/3600"}
    actions.report(bob, post=post, reason="spam")
    actions.report(bob, post=post, reason="spam")
    with pytest.raises(ActionError, match="Too many"):
        actions.report(bob, post=post, reason="spam")
    item = QueueItem.objects.get(post_id=post.pk)
    assert item.reports_count == 2 and QueueItem.objects.count() == 1


def test_edits_are_screened_and_editing_a_held_post_does_not_release_it(alice, bob, admin):
    accounts.follow(bob, alice)
    actions.add_rule(admin.user, "keyword", "burn it down", "hold", "violence")
    post = posts.create_post(alice, "a calm post")
    edited = posts.edit_post(alice, post, "let us burn it down tonight")
    assert edited.state == PostState.HELD
    assert QueueItem.objects.filter(post_id=post.pk, status="open").exists()
    assert "let us burn it down tonight" not in _feed_texts(bob)
    again = posts.edit_post(alice, edited, "a calm post after all")
    assert again.state == PostState.HELD
