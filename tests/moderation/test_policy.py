"""The default policy: a pure function from scores to a decision."""

from rostra.moderation.policy import apply_rules, decide, flags, rules_for_text

T = {"violence": 0.5, "hate": 0.5, "harassment": 0.5, "toxicity": 0.5}
HIGH = {"violence": 0.9, "hate": 0.9, "harassment": 0.9, "toxicity": 0.9}
ZERO = {"violence": 0.0, "hate": 0.0, "harassment": 0.0, "toxicity": 0.0}


def s(**kw):
    return {**ZERO, **kw}


def test_benign_is_allowed():
    assert decide(s(), T, high=HIGH) == "allow"


def test_a_likely_threat_is_held_not_published():
    assert decide(s(violence=0.6), T, high=HIGH) == "hold"


def test_hate_is_held():
    assert decide(s(hate=0.7), T, high=HIGH) == "hold"


def test_toxicity_alone_is_labelled():
    assert decide(s(toxicity=0.99), T, high=HIGH) == "label"


def test_harassment_is_labelled_or_held_by_score():
    assert decide(s(harassment=0.6), T, high=HIGH) == "label"
    assert decide(s(harassment=0.95), T, high=HIGH) == "hold"


def test_reject_only_when_an_instance_asks_for_it():
    assert decide(s(violence=0.999), T, high=HIGH) == "hold"
    assert decide(s(violence=0.999), T, high=HIGH, reject_at={"violence": 0.98}) == "reject"


def test_flags_at_or_over_threshold():
    assert flags(s(violence=0.5, toxicity=0.49), T) == ["violence"]


def test_no_rules_match_on_an_instance_without_rules_and_strictest_wins():
    assert rules_for_text("anything") == []
    assert apply_rules("label", []) == "label"
    assert apply_rules("label", [{"action": "hold"}]) == "hold"
    assert apply_rules("reject", [{"action": "allow"}]) == "reject"
