"""Instance rules: keywords, link domains and bounded regular expressions, applied at once."""

import time

import pytest

from rostra.core.errors import ActionError, Forbidden
from rostra.moderation import actions
from rostra.moderation.models import AuditEntry, QueueItem, Rule, Screening
from rostra.moderation.rules import matching
from rostra.posts import actions as posts
from rostra.posts.models import PostState

HOSTILE = "(a+)+$"
NEAR_MISS = "aaaaaaaaaaaaaaaaaaaaaaaaaaaa!"


def test_a_keyword_rule_holds_posts_from_the_moment_it_is_saved(admin, alice):
    before = posts.create_post(alice, "selling cheap pillz here")
    assert before.state == PostState.PUBLISHED
    actions.add_rule(admin.user, "keyword", "pillz", "hold", "spam")
    after = posts.create_post(alice, "more cheap PILLZ today")
    assert after.state == PostState.HELD
    assert QueueItem.objects.filter(post_id=after.pk, status="open", kind="hold").exists()
    assert Screening.objects.get(post_id=after.pk).decision == "hold"
    assert AuditEntry.objects.filter(action="rule.add").exists()


def test_a_domain_rule_rejects_links_to_that_domain_and_its_subdomains(admin, alice):
    actions.add_rule(admin.user, "domain", "https://scam.example/", "reject", "spam")
    post = posts.create_post(alice, "free money at https://www.scam.example/win")
    assert post.state == PostState.REJECTED
    decision = alice.decisions.get()
    assert decision.action == "reject" and decision.automated_decision
    assert "scam.example" in decision.statement and "appeal" in decision.statement
    assert posts.create_post(alice, "see https://example.org/scam.example").state == PostState.PUBLISHED


def test_a_label_rule_publishes_behind_a_content_warning(admin, alice):
    actions.add_rule(admin.user, "regex", r"spoilers? for \w+", "label", "other")
    post = posts.create_post(alice, "Spoilers for Dune: the worm wins")
    assert post.state == PostState.PUBLISHED
    post.refresh_from_db()
    assert post.sensitive and post.spoiler_text.startswith("Content warning")


def test_a_hostile_regular_expression_is_refused_when_saved(admin):
    with pytest.raises(ActionError, match="Nested repeats"):
        actions.add_rule(admin.user, "regex", HOSTILE, "hold")
    with pytest.raises(ActionError, match="does not compile"):
        actions.add_rule(admin.user, "regex", "(unclosed", "hold")
    with pytest.raises(ActionError, match="at most"):
        actions.add_rule(admin.user, "regex", "a" * 201, "hold")
    assert not Rule.objects.exists()


def test_a_hostile_regular_expression_that_slipped_in_cannot_stall_screening(alice):
    rule = Rule.objects.create(kind="regex", pattern=HOSTILE, action="hold")  # as if written by hand in the DB
    started = time.perf_counter()
    assert matching(NEAR_MISS * 3, [rule]) == []
    assert time.perf_counter() - started < 1.0
    started = time.perf_counter()
    post = posts.create_post(alice, NEAR_MISS * 3)
    assert time.perf_counter() - started < 2.0
    assert post.state == PostState.PUBLISHED


def test_moderators_read_rules_but_only_admins_write_them(mod, admin):
    with pytest.raises(Forbidden):
        actions.add_rule(mod.user, "keyword", "x", "hold")
    with pytest.raises(Forbidden):
        actions.update_policy(mod.user, thresholds={"violence": 0.1})
    rule = actions.add_rule(admin.user, "keyword", "x", "hold")
    with pytest.raises(Forbidden):
        actions.set_rule_enabled(mod.user, rule, False)
    actions.set_rule_enabled(admin.user, rule, False)
    assert not Rule.objects.get().enabled
