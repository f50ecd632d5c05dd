"""Screening a post before anyone else sees it: the model's scores, the instance's rules, the policy.

Called from ``rostra.posts.actions.screen_post`` inside the transaction that writes the post.
Screening never loses a post: if the model is missing, fails or takes too long, the post is
held for a moderator and the failure is logged and kept on the Screening row.
"""

import logging
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from django.conf import settings
from django.utils import timezone

from rostra.moderation import policy

from .models import Decision, ModerationSettings, QueueItem, Screening

log = logging.getLogger(__name__)

_executor = None

DECISION_TO_STATE = {"allow": "published", "label": "published", "hold": "held", "reject": "rejected"}
CATEGORY_WORDS = {
    "violence": "violence or threats",
    "hate": "hate",
    "harassment": "harassment",
    "toxicity": "strong language",
    "spam": "spam",
    "illegal": "illegal content",
    "other": "a rule of this instance",
}


def _score(text):
    """The model's scores for one text, in a worker thread so a stuck model cannot stall the post."""
    global _executor
    from rostra.moderation import model

    if _executor is None:
        _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="screening")
    timeout = settings.ROSTRA_SCREENING_TIMEOUT
    future = _executor.submit(model.score_one, text)
    try:
        return future.result(timeout=timeout), model.MODEL_VERSION
    except FutureTimeout:
        raise TimeoutError(f"the moderation model took more than {timeout:g}s") from None


_defaults = {}


def _model_thresholds():
    """The shipped model's thresholds (read from model/meta.json once per process)."""
    if not _defaults:
        _defaults["flag"] = policy.default_thresholds()
        _defaults["high"] = policy.default_high_thresholds()
    return _defaults


def thresholds(instance=None):
    """The model's thresholds with the instance's overrides."""
    instance = instance or ModerationSettings.current()
    found = dict(_model_thresholds()["flag"])
    found.update({k: float(v) for k, v in instance.thresholds.items() if k in found})
    return found


def evaluate(text):
    """(decision, scores, flags, matched rules, model version, error) for a text; writes nothing."""
    scores, version, error = {}, "", ""
    instance = ModerationSettings.current()
    limits = thresholds(instance)
    if settings.ROSTRA_SCREENING == "off":
        decision, version = "allow", "off"
    else:
        try:
            scores, version = _score(text)
            decision = policy.decide(scores, limits, high=_model_thresholds()["high"], reject_at=instance.reject_at)
        except Exception as exc:  # missing files, a broken model, a timeout: hold, never publish unscreened
            log.exception("moderation model failed; holding the post for a moderator")
            decision, error = "hold", f"{type(exc).__name__}: {exc}"[:1000]
    matched = policy.rules_for_text(text)
    decision = policy.apply_rules(decision, matched)
    return decision, scores, policy.flags(scores, limits), matched, version, error


def main_category(scores, flags, matched, limits=None):
    """The category that decided: a matched rule's, else the flagged one scoring highest over its threshold."""
    strict = [m for m in matched if m.get("action") in ("hold", "reject")]
    if strict:
        return strict[0].get("category", "other")
    if flags:
        return max(flags, key=lambda c: scores.get(c, 0.0))
    if matched:
        return matched[0].get("category", "other")
    return ""


def screen(post):
    """Screen ``post`` (already saved, text rendered); returns its new state and records why."""
    from rostra.posts.models import Post

    text = "\n".join(t for t in (post.spoiler_text, post.text) if t)
    if not text.strip():
        decision, scores, flags, matched, version, error = "allow", {}, [], [], "", ""
    else:
        decision, scores, flags, matched, version, error = evaluate(text)
    Screening.objects.create(
        post_id=post.pk,
        model_version=version,
        scores=scores,
        flags=flags,
        decision=decision,
        rules=[m["rule"] for m in matched if "rule" in m],
        error=error,
    )
    category = main_category(scores, flags, matched) or ("other" if error else "")
    if decision == "label" and not post.spoiler_text:
        words = ", ".join(CATEGORY_WORDS.get(c, c) for c in (flags or [category or "other"]))
        post.spoiler_text = f"Content warning: {words}"[:200]
        post.sensitive = True
        Post.objects.filter(pk=post.pk).update(spoiler_text=post.spoiler_text, sensitive=True)
    elif decision == "label" and not post.sensitive:
        post.sensitive = True
        Post.objects.filter(pk=post.pk).update(sensitive=True)
    if decision == "hold":
        from .queue import enqueue, severity_for

        top = max(scores.values(), default=0.0)
        enqueue(
            QueueItem.Kind.HOLD,
            post=post,
            category=category,
            severity=severity_for(category, scores.get("violence", 0.0)),
            top_score=top,
        )
    if decision == "reject":
        from .actions import record_automated_rejection

        record_automated_rejection(post, category, scores, flags, matched, version)
    return DECISION_TO_STATE[decision]


