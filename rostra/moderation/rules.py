"""Moderator-written rules: keywords, bounded regular expressions and link domains.

Regular expressions are the risky kind: a pattern such as ``(a+)+$`` takes exponential time
on a near-miss. Two defences: ``validate`` refuses long patterns and nested quantifiers
when a rule is saved, and ``matching`` runs patterns with the ``regex`` module's timeout,
so even a pattern that slipped into the table cannot stall screening.
"""

import logging
import re
import time

from rostra.core.errors import ActionError

log = logging.getLogger(__name__)

MAX_PATTERN = 200
MAX_TEXT = 5000
REGEX_TIMEOUT = 0.05  # seconds per rule and post
_URL_HOST = re.compile(r"https?://([A-Za-z0-9.-]+)", re.IGNORECASE)
_compiled: dict = {}

try:  # the regex module supports timeouts; fall back to re with validation alone
    import regex as _regex
except ImportError:  # pragma: no cover
    _regex = None


def _nested_quantifier(pattern):
    """True if a repeated group contains another repeat: the shape of catastrophic backtracking."""
    try:
        from re import _parser as sre_parse  # Python 3.11+
    except ImportError:  # pragma: no cover
        import sre_parse
    repeats = {sre_parse.MAX_REPEAT, sre_parse.MIN_REPEAT, getattr(sre_parse, "POSSESSIVE_REPEAT", None)}

    def walk(items, inside_repeat):
        for op, av in items:
            if op in repeats:
                low, high, sub = av
                if inside_repeat and high != low:
                    return True
                if walk(sub, inside_repeat or high > 1):
                    return True
            elif op is sre_parse.SUBPATTERN:
                if walk(av[-1], inside_repeat):
                    return True
            elif op is sre_parse.BRANCH:
                if any(walk(b, inside_repeat) for b in av[1]):
                    return True
        return False

    return walk(sre_parse.parse(pattern), False)


def validate(kind, pattern):
    """The cleaned pattern, or an ActionError saying what is wrong with it."""
    pattern = (pattern or "").strip()
    if not pattern:
        raise ActionError("Write a pattern.", status=422, field="pattern")
    if len(pattern) > MAX_PATTERN:
        raise ActionError(f"Patterns are at most {MAX_PATTERN} characters.", status=422, field="pattern")
    if kind == "regex":
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ActionError(f"That regular expression does not compile: {exc}.", status=422, field="pattern")
        if _nested_quantifier(pattern):
            raise ActionError(
                "Nested repeats such as (a+)+ can take forever on some posts; write the pattern without them.",
                status=422,
                field="pattern",
            )
    elif kind == "domain":
        pattern = pattern.lower().removeprefix("https://").removeprefix("http://").split("/")[0]
        if not re.fullmatch(r"[a-z0-9.-]+\.[a-z0-9-]+", pattern):
            raise ActionError("Write a domain such as example.com.", status=422, field="pattern")
    elif kind == "keyword":
        pattern = pattern.lower()
    else:
        raise ActionError(f"Unknown rule kind {kind!r}.", status=422, field="kind")
    return pattern


def _compiled_for(rule):
    key = (rule.pk, rule.kind, rule.pattern)
    found = _compiled.get(key)
    if found is None:
        if rule.kind == "keyword":
            found = re.compile(rf"(?<!\w){re.escape(rule.pattern)}(?!\w)", re.IGNORECASE)
        elif _regex is not None:
            found = _regex.compile(rule.pattern, _regex.IGNORECASE)
        else:  # pragma: no cover
            found = re.compile(rule.pattern, re.IGNORECASE)
        if len(_compiled) > 5000:
            _compiled.clear()
        _compiled[key] = found
    return found


def _matches(rule, text, hosts):
    if rule.kind == "domain":
        return any(h == rule.pattern or h.endswith("." + rule.pattern) for h in hosts)
    compiled = _compiled_for(rule)
    if rule.kind == "regex" and _regex is not None:
        try:
            return compiled.search(text, timeout=REGEX_TIMEOUT) is not None
        except TimeoutError:
            log.warning("moderation rule %s timed out and was skipped", rule.pk)
            return False
    return compiled.search(text) is not None


CACHE_KEY = "moderation:rules:v1"


def shared_cache():
    """Django's cache if every process shares it (Redis), else None.

    A per-process memory cache would keep a rule change from other processes for its
    timeout, and rules must apply at once; without Redis, rules are read from the table.
    """
    from django.conf import settings
    from django.core.cache import cache

    if "locmem" in settings.CACHES["default"]["BACKEND"].lower():
        return None
    return cache


def enabled_rules():
    """The enabled rules (from the shared cache when there is one; see ``forget``)."""
    from .models import Rule

    cache = shared_cache()
    rules = cache.get(CACHE_KEY) if cache is not None else None
    if rules is None:
        rules = list(Rule.objects.filter(enabled=True).only("id", "kind", "pattern", "action", "category"))
        if cache is not None:
            cache.set(CACHE_KEY, rules, timeout=300)
    return rules


def forget():
    """Drop the cached rules once a change commits, so the next post is screened with it."""
    from django.db import transaction

    cache = shared_cache()
    if cache is not None:
        cache.delete(CACHE_KEY)
        transaction.on_commit(lambda: cache.delete(CACHE_KEY))


def matching(text, rules=None):
    """The enabled rules that match ``text``, as policy dicts (rule, action, category, reason)."""
    if rules is None:
        rules = enabled_rules()
    if not rules:
        return []
    text = (text or "")[:MAX_TEXT]
    hosts = [h.lower().rstrip(".") for h in _URL_HOST.findall(text)]
    found = []
    for rule in rules:
        started = time.perf_counter()
        if _matches(rule, text, hosts):
            found.append(
                {
                    "rule": rule.pk,
                    "action": rule.action,
                    "category": rule.category,
                    "reason": f"matches the instance rule {rule.get_kind_display().lower()} “{rule.pattern}”",
                }
            )
        if time.perf_counter() - started > 0.2:  # pragma: no cover
            log.warning("moderation rule %s took %.2fs", rule.pk, time.perf_counter() - started)
    return found
