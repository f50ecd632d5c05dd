"""The default screening policy: model scores (and, later, the instance's rules) to a decision.

Decisions, from mildest to strictest:

- ``allow``: published as written.
- ``label``: published behind a content warning.
- ``hold``: visible only to its author and moderators until a moderator decides.
- ``reject``: not published; the author is told why and can appeal.

Defaults (``decide`` with the thresholds the training run wrote to ``model/meta.json``):

===============================================  ==========================================
score                                            decision
===============================================  ==========================================
``violence`` >= its threshold                    hold: a likely violent threat is held, not
                                                 published, and goes to the top of the queue
``hate`` >= its threshold                        hold
``harassment`` >= its *high* threshold           hold (confident abuse aimed at a person)
``harassment`` >= its threshold                  label
``toxicity`` >= its threshold                    label (profanity alone is not a reason to hide)
otherwise                                        allow
===============================================  ==========================================

The strictest applicable decision wins. ``reject`` is never chosen by default: the model
still mistakes some idioms, quotations and news for threats (see MODEL_CARD.md), and a
wrongly rejected post silences someone, while a wrongly held one only waits for a human.
An instance that wants it passes ``reject_at`` (for example ``{"violence": 0.98}``), and
scores at or over it are rejected outright.
"""

from __future__ import annotations

from typing import Iterable, Mapping

CATEGORIES = ("violence", "hate", "harassment", "toxicity")
DECISIONS = ("allow", "label", "hold", "reject")
_RANK = {d: i for i, d in enumerate(DECISIONS)}

# Used only if model/meta.json is missing; the training run writes the real ones there.
FALLBACK_THRESHOLDS = {"violence": 0.5, "hate": 0.6, "harassment": 0.6, "toxicity": 0.7}
FALLBACK_HIGH = {"violence": 0.9, "hate": 0.9, "harassment": 0.9, "toxicity": 0.95}


def default_thresholds() -> dict[str, float]:
    """Per-category thresholds chosen by the training run on its validation split."""
    from rostra.moderation.model import meta

    found = meta().get("thresholds") or {}
    return {c: float(found.get(c, FALLBACK_THRESHOLDS[c])) for c in CATEGORIES}


def default_high_thresholds() -> dict[str, float]:
    """Per-category thresholds at which precision reached 0.9 on validation (see the card)."""
    from rostra.moderation.model import meta

    found = meta().get("high_thresholds") or {}
    return {c: float(found.get(c, FALLBACK_HIGH[c])) for c in CATEGORIES}


def flags(scores: Mapping[str, float], thresholds: Mapping[str, float]) -> list[str]:
    """The categories whose score is at or over its threshold, in ``CATEGORIES`` order."""
    return [c for c in CATEGORIES if c in thresholds and scores.get(c, 0.0) >= thresholds[c]]


def decide(
    scores: Mapping[str, float],
    thresholds: Mapping[str, float],
    *,
    high: Mapping[str, float] | None = None,
    reject_at: Mapping[str, float] | None = None,
) -> str:
    """Map one post's scores to ``allow``, ``label``, ``hold`` or ``reject`` (pure function).

    ``thresholds``: per-category flag thresholds; ``high``: per-category confident
    thresholds (default: 0.9 for harassment); ``reject_at``: optional per-category scores at
    which the post is rejected outright (off by default, see the module docstring).
    """
    s = {c: float(scores.get(c, 0.0) or 0.0) for c in CATEGORIES}
    high = high or {}
    if reject_at and any(c in s and s[c] >= t for c, t in reject_at.items()):
        return "reject"
    if s["violence"] >= thresholds.get("violence", 1.1) or s["hate"] >= thresholds.get("hate", 1.1):
        return "hold"
    harassment_hold = max(thresholds.get("harassment", 1.1), high.get("harassment", 0.9))
    if s["harassment"] >= harassment_hold:
        return "hold"
    if s["harassment"] >= thresholds.get("harassment", 1.1) or s["toxicity"] >= thresholds.get("toxicity", 1.1):
        return "label"
    return "allow"


def strictest(decisions: Iterable[str]) -> str:
    """The strictest of several decisions (``allow`` if there are none)."""
    return max(decisions, key=lambda d: _RANK.get(d, 0), default="allow")


def rules_for_text(text: str) -> list[dict]:
    """The instance's moderator-written rules that match ``text``.

    Each match is ``{"rule": id, "action": "label" | "hold" | "reject", "category": str,
    "reason": str}``. Rules live in the database (``rostra.moderation.rules``); without a
    configured Django (``rostra moderate`` with no instance) there are none.
    """
    from django.apps import apps

    if not apps.ready:
        return []
    from rostra.moderation.rules import matching

    return matching(text)


def apply_rules(decision: str, rules: Iterable[Mapping]) -> str:
    """The model's decision combined with matching rules: the strictest wins."""
    return strictest([decision, *(r.get("action", "allow") for r in rules)])
