"""Every moderation change: reports, queue assignment, decisions, appeals, referrals, rules.

Each function checks who is acting, writes its rows, its Decision (with the statement of
reasons) and its AuditEntry in one transaction, and tells the people concerned.
"""

from datetime import datetime, timedelta, timezone as dt_timezone

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from rostra.accounts.models import Account
from rostra.core import ratelimit
from rostra.core.errors import ActionError, Forbidden, NotFound
from rostra.core.html import clean_text
from rostra.posts.models import Post, PostState

from . import rules as rules_lib
from .models import (
    REPORT_REASONS,
    AuditEntry,
    Appeal,
    Decision,
    ModerationSettings,
    QueueItem,
    Report,
    Rule,
    Screening,
)
from .queue import enqueue, severity_for

APPEAL_DAYS = 30
FOREVER = datetime(9999, 12, 31, tzinfo=dt_timezone.utc)
REASONS = dict(REPORT_REASONS)
ACTION_WORDS = {
    "approve": "Nothing was restricted: the post stays (or is now) published.",
    "remove": "Your post was removed from this server and every feed.",
    "content_warning": "Your post is now shown behind a content warning.",
    "limit": "Your account is limited: your posts reach only your followers (not Discover, hashtags or search).",
    "suspend": "Your account is suspended: you cannot sign in or post",
    "warn": "You received a warning (a strike on your account). Nothing was removed.",
    "reject": "Your post was not published.",
    "restore": "On appeal, the earlier decision was reversed",
    "uphold": "On appeal, the earlier decision was upheld.",
}
CATEGORY_RULES = {
    "violence": "No threats, incitement or glorification of violence",
    "hate": "No attacks on people for who they are",
    "harassment": "No harassment or abuse aimed at a person",
    "toxicity": "Strong language goes behind a content warning",
    "spam": "No spam",
    "illegal": "No illegal content",
    "other": "The rules of this instance",
}


# --- who may act ------------------------------------------------------------------------


def require_moderator(user):
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_moderator:
        raise Forbidden("Only moderators can do that.")


def require_admin(user):
    if user is None or not getattr(user, "is_authenticated", False) or not (
        user.role == user.Role.ADMIN or user.is_superuser
    ):
        raise Forbidden("Only admins can do that.")


def audit(actor, what, subject="", **details):
    """Append one entry to the audit log (``actor`` is a User, or None for automated actions)."""
    return AuditEntry.objects.create(
        actor_id=actor.pk if actor is not None else None,
        actor_name=actor.username if actor is not None else "automated screening",
        action=what,
        subject=str(subject)[:200],
        details=details,
    )


# --- decisions and their statement of reasons -------------------------------------------


def statement_for(decision):
    """The statement of reasons in plain words: what, why, the facts, who or what, how to appeal."""
    what = ACTION_WORDS.get(decision.action, decision.get_action_display())
    if decision.action == "suspend":
        what += " for good." if decision.suspended_until and decision.suspended_until.year >= 9999 else (
            f" until {decision.suspended_until:%Y-%m-%d %H:%M} UTC." if decision.suspended_until else "."
        )
    if decision.action == "restore":
        what += "; what could be undone was undone."
    lines = [what]
    if decision.category:
        rule = f"Rule: {CATEGORY_RULES.get(decision.category, decision.category)} ({decision.category})."
        if decision.rule_id:
            rule += f" Instance rule {decision.rule.get_kind_display().lower()} “{decision.rule.pattern}”."
        lines.append(rule)
    if decision.facts:
        lines.append(f"Facts relied on: {decision.facts}")
    detected = "automated screening" if decision.automated_detection else "a report by a user" if decision.source == "report" else "a moderator"
    decided = "automatically, without a person" if decision.automated_decision else "by a moderator"
    lines.append(f"Detected by {detected}; decided {decided}.")
    if decision.model_version:
        scores = ", ".join(f"{k} {v:.2f}" for k, v in sorted(decision.scores.items())) or "none"
        lines.append(f"Model {decision.model_version}; scores: {scores}.")
    if decision.appeal_deadline:
        lines.append(
            f"You can appeal once, until {decision.appeal_deadline:%Y-%m-%d} UTC, on this page; "
            "a different moderator will decide."
        )
    return "\n".join(lines)


def _snapshot(post):
    return (post.spoiler_text + "\n" if post.spoiler_text else "") + post.text if post is not None else ""


def _make_decision(action, *, post=None, account=None, moderator=None, item=None, **fields):
    if account is None and post is not None:
        account = post.author
    now = timezone.now()
    decision = Decision(
        action=action,
        post_id=post.pk if post is not None else (item.post_id if item is not None else None),
        post_text=_snapshot(post),
        account=account,
        account_name=account.handle if account is not None else "",
        moderator=moderator,
        queue_item=item,
        created_at=now,
        **fields,
    )
    if item is not None:
        decision.seconds_to_decision = (now - item.created_at).total_seconds()
        decision.source = "report" if item.kind == QueueItem.Kind.REPORT else "automated"
        decision.automated_detection = item.kind == QueueItem.Kind.HOLD
    if action not in ("approve", "restore", "uphold") and "appeal_deadline" not in fields:
        decision.appeal_deadline = now + timedelta(days=APPEAL_DAYS)
    if not decision.model_version and decision.post_id:
        screening = Screening.objects.filter(post_id=decision.post_id).order_by("-created_at").first()
        if screening is not None and screening.model_version not in ("", "off"):
            decision.model_version, decision.scores = screening.model_version, screening.scores
    decision.statement = statement_for(decision)
    decision.save(force_insert=True)
    _notify(account, "decision")
    return decision


def _notify(account, kind):
    from rostra.timelines.models import Notification

    if account is None or not account.is_local:
        return
    Notification.objects.create(recipient=account, actor=account, kind=kind)


def record_automated_rejection(post, category, scores, flags, matched, version):
    """Screening rejected a post: the author is told why, in plain words, and can appeal."""
    rule_id = next((m["rule"] for m in matched if m.get("action") == "reject" and "rule" in m), None)
    facts = (
        f"The text scored over the instance's rejection threshold for {', '.join(flags)}."
        if flags
        else "; ".join(m.get("reason", "") for m in matched)
    )
    decision = _make_decision(
        "reject",
        post=post,
        automated_detection=True,
        automated_decision=True,
        source="automated",
        category=category or "other",
        rule=Rule.objects.filter(pk=rule_id).first() if rule_id else None,
        facts=facts,
        model_version=version if version != "off" else "",
        scores=scores,
        seconds_to_decision=0.0,
    )
    audit(None, "screening.reject", f"post {post.pk}", decision=decision.pk)
    return decision


# --- reports ------------------------------------------------------------------------------


def report(reporter, *, post=None, account=None, reason, comment="", forward=False, from_server=False):
    """Someone signed in reports a post or an account; the subject's queue item collects it.

    ``forward``: a report about someone on another server is also sent there (as a Flag from
    this instance, not naming the reporter). ``from_server``: the report is a Flag another
    server sent (``reporter`` is its actor), so the reporter need not be local or see the post.
    """
    if reporter is None or not (reporter.is_local or from_server):
        raise Forbidden("Sign in to report.")
    if (post is None) == (account is None):
        raise ActionError("Report either a post or an account.", status=422)
    if reason not in REASONS:
        raise ActionError("Choose a reason.", status=422, field="reason")
    comment = clean_text(comment or "").strip()
    if len(comment) > 1000:
        raise ActionError("Comments are at most 1,000 characters.", status=422, field="comment")
    if post is not None:
        from rostra.posts.queries import can_see

        if post.is_plain_echo:
            post = post.echo_of
        if not from_server and not can_see(reporter, post):
            raise NotFound("That post is not available.")
        account = post.author
        if account.pk == reporter.pk:
            raise ActionError("You cannot report your own post.", status=422)
    elif account.pk == reporter.pk:
        raise ActionError("You cannot report yourself.", status=422)
    try:
        ratelimit.hit("report", reporter.pk)
    except ratelimit.RateLimited as exc:
        raise ActionError(str(exc), status=429) from exc
    violence = 0.0
    if post is not None:
        screening = Screening.objects.filter(post_id=post.pk).order_by("-created_at").first()
        violence = (screening.scores or {}).get("violence", 0.0) if screening else 0.0
    severity = severity_for(reason, violence) if post is not None else min(severity_for(reason), 3)
    with transaction.atomic():
        item = enqueue(QueueItem.Kind.REPORT, post=post, account=account, category=reason, severity=severity, top_score=violence)
        QueueItem.objects.filter(pk=item.pk).update(reports_count=F("reports_count") + 1)
        made = Report.objects.create(
            reporter=reporter,
            post_id=post.pk if post is not None else None,
            account=account,
            queue_item=item,
            reason=reason,
            comment=comment,
        )
        if forward and not account.is_local:
            from rostra.federation import outbox, uris

            outbox.report_forwarded(made, comment, [uris.post(post)] if post is not None else [])
    return made


# --- the queue ----------------------------------------------------------------------------


def assign(moderator, item, to_me=True):
    require_moderator(moderator)
    with transaction.atomic():
        QueueItem.objects.filter(pk=item.pk).update(assigned_to=moderator if to_me else None)
        audit(moderator, "queue.assign" if to_me else "queue.unassign", f"queue item {item.pk}")
    item.assigned_to = moderator if to_me else None
    return item


ITEM_ACTIONS = ("approve", "remove", "content_warning", "limit", "suspend", "warn")


def decide(moderator, item, action, *, category="", facts="", days=None, police_referral=False, police_note=""):
    """A moderator decides an open queue item; returns the Decision."""
    require_moderator(moderator)
    if action not in ITEM_ACTIONS:
        raise ActionError(f"Unknown action {action!r}.", status=422)
    if police_referral and not police_note.strip():
        raise ActionError("Say what was referred and to whom.", status=422, field="police_note")
    with transaction.atomic():
        item = QueueItem.objects.select_for_update().filter(pk=item.pk).first()
        if item is None or item.status != QueueItem.Status.OPEN:
            raise ActionError("This item was already decided.", status=409)
        post = Post.objects.filter(pk=item.post_id).select_related("author").first() if item.post_id else None
        account = post.author if post is not None else item.account
        if action in ("remove", "content_warning") and post is None:
            raise ActionError("There is no post to act on.", status=422)
        if account is None:
            raise ActionError("The account no longer exists.", status=422)
        category = category or item.category or "other"
        fields = dict(category=category, facts=clean_text(facts).strip()[:2000], police_referral=police_referral,
                      police_note=clean_text(police_note).strip()[:2000])
        if action == "suspend":
            fields["suspended_until"] = FOREVER if not days else timezone.now() + timedelta(days=int(days))
        decision = _make_decision(action, post=post, account=account, moderator=moderator, item=item, **fields)
        _apply(action, moderator, post, account, decision)
        now = timezone.now()
        QueueItem.objects.filter(pk=item.pk).update(status=QueueItem.Status.DECIDED, decided_at=now)
        outcome = decision.get_action_display()
        for reporter_id in Report.objects.filter(queue_item=item).values_list("reporter_id", flat=True).distinct():
            _notify(Account.objects.filter(pk=reporter_id).first(), "report_outcome")
        Report.objects.filter(queue_item=item).update(outcome=outcome)
        audit(moderator, f"decision.{action}", f"queue item {item.pk}", decision=decision.pk, post=item.post_id,
              account=account.handle, police_referral=police_referral)
    return decision


def _apply(action, moderator, post, account, decision):
    from rostra.posts import actions as posts

    if action == "approve" and post is not None and post.state != PostState.PUBLISHED:
        posts.publish(post)
    elif action == "remove":
        if decision.police_referral:
            # Kept, hidden, for the police; deleted once the referral is withdrawn.
            posts.unpublish(post, PostState.REJECTED)
        else:
            posts.delete_post(moderator.account, post)
    elif action == "content_warning":
        spoiler = post.spoiler_text or f"Content warning: {decision.category}"
        Post.objects.filter(pk=post.pk).update(spoiler_text=spoiler, sensitive=True)
        if post.state != PostState.PUBLISHED:
            post.spoiler_text, post.sensitive = spoiler, True
            posts.publish(post)
    elif action == "limit":
        Account.objects.filter(pk=account.pk).update(limited=True)
    elif action == "suspend":
        Account.objects.filter(pk=account.pk).update(suspended_until=decision.suspended_until)
    elif action == "warn":
        Account.objects.filter(pk=account.pk).update(strikes=F("strikes") + 1)


def set_police_referral(moderator, decision, referred, note=""):
    """Mark (or unmark) a decision as referred to the police; the post is kept while it stands."""
    require_moderator(moderator)
    note = clean_text(note).strip()
    if referred and not note:
        raise ActionError("Say what was referred and to whom.", status=422, field="police_note")
    with transaction.atomic():
        Decision.objects.filter(pk=decision.pk).update(police_referral=referred, police_note=note or decision.police_note)
        audit(moderator, "decision.refer" if referred else "decision.unrefer", f"decision {decision.pk}", note=note)
        if not referred and decision.action == "remove" and decision.post_id:
            post = Post.objects.filter(pk=decision.post_id).first()
            if post is not None and not Decision.objects.filter(post_id=post.pk, police_referral=True).exists():
                from rostra.posts import actions as posts

                posts.delete_post(moderator.account, post)
    decision.refresh_from_db()
    return decision


# --- appeals ------------------------------------------------------------------------------


def appeal(account, decision, text):
    """The affected person appeals, once per decision, within 30 days."""
    text = clean_text(text or "").strip()
    if decision.account_id != account.pk:
        raise NotFound("No such decision.")
    if not text:
        raise ActionError("Say why the decision is wrong.", status=422, field="text")
    if len(text) > 2000:
        raise ActionError("Appeals are at most 2,000 characters.", status=422, field="text")
    if Appeal.objects.filter(decision=decision).exists():
        raise ActionError("This decision was already appealed; each decision can be appealed once.", status=409)
    if not decision.appealable:
        raise ActionError("This decision can no longer be appealed.", status=422)
    with transaction.atomic():
        made = Appeal.objects.create(decision=decision, appellant=account, text=text)
        audit(account.user, "appeal.create", f"decision {decision.pk}", appeal=made.pk)
    return made


def decide_appeal(moderator, appeal_, restore, facts=""):
    """A different moderator (or an admin) decides an appeal: restore, or uphold."""
    require_moderator(moderator)
    decision = appeal_.decision
    is_admin = moderator.role == moderator.Role.ADMIN or moderator.is_superuser
    if decision.moderator_id == moderator.pk and not is_admin:
        raise Forbidden("A different moderator must decide the appeal of your own decision.")
    with transaction.atomic():
        appeal_ = Appeal.objects.select_for_update().get(pk=appeal_.pk)
        if appeal_.outcome_id:
            raise ActionError("This appeal was already decided.", status=409)
        account = decision.account
        if restore:
            undone = _undo(moderator, decision, account)
            facts = (clean_text(facts).strip() + " " if facts else "") + undone
        outcome = _make_decision(
            "restore" if restore else "uphold",
            account=account,
            moderator=moderator,
            category=decision.category,
            facts=clean_text(facts).strip()[:2000],
            appeal_of=appeal_,
            seconds_to_decision=(timezone.now() - appeal_.created_at).total_seconds(),
            source="report",
        )
        Decision.objects.filter(pk=outcome.pk).update(post_id=decision.post_id, post_text=decision.post_text)
        Appeal.objects.filter(pk=appeal_.pk).update(decided_by=moderator, decided_at=timezone.now(), outcome=outcome)
        audit(moderator, "appeal.restore" if restore else "appeal.uphold", f"appeal {appeal_.pk}",
              decision=decision.pk, outcome=outcome.pk)
    appeal_.refresh_from_db()
    return outcome


def _undo(moderator, decision, account):
    """Reverse what can be reversed; says, for the record, what was and was not."""
    from rostra.posts import actions as posts

    action = decision.action
    post = Post.objects.filter(pk=decision.post_id).first() if decision.post_id else None
    if action in ("reject", "hold", "remove") and post is not None and post.state != PostState.PUBLISHED:
        posts.publish(post)
        return "The post was published again."
    if action == "remove":
        return "The removed post was deleted and cannot be brought back; its removal is reversed on the record."
    if action == "limit" and account is not None:
        Account.objects.filter(pk=account.pk).update(limited=False)
        return "The limit on the account was lifted."
    if action == "suspend" and account is not None:
        Account.objects.filter(pk=account.pk).update(suspended_until=None)
        return "The suspension was lifted."
    if action == "warn" and account is not None:
        Account.objects.filter(pk=account.pk, strikes__gt=0).update(strikes=F("strikes") - 1)
        return "The strike was taken back."
    if action == "content_warning" and post is not None:
        Post.objects.filter(pk=post.pk).update(spoiler_text="", sensitive=False)
        return "The content warning was taken off."
    return ""


# --- rules and policy ---------------------------------------------------------------------


def add_rule(admin, kind, pattern, action, category="other"):
    """Admins write rules; they apply to every post screened from now on."""
    require_admin(admin)
    if action not in Rule.Action.values:
        raise ActionError("Choose what the rule does.", status=422, field="action")
    if category not in REASONS:
        raise ActionError("Choose a category.", status=422, field="category")
    pattern = rules_lib.validate(kind, pattern)
    with transaction.atomic():
        rule = Rule.objects.create(kind=kind, pattern=pattern, action=action, category=category, created_by=admin)
        rules_lib.forget()
        audit(admin, "rule.add", f"rule {rule.pk}", kind=kind, pattern=pattern, rule_action=action, category=category)
    return rule


def set_rule_enabled(admin, rule, enabled):
    require_admin(admin)
    with transaction.atomic():
        Rule.objects.filter(pk=rule.pk).update(enabled=enabled)
        rules_lib.forget()
        audit(admin, "rule.enable" if enabled else "rule.disable", f"rule {rule.pk}", pattern=rule.pattern)
    rule.enabled = enabled
    return rule


def update_policy(admin, *, thresholds=None, targets=None):
    """Admins change the thresholds (per category) and the clocks (minutes per severity)."""
    from rostra.moderation.policy import CATEGORIES

    require_admin(admin)
    current = ModerationSettings.current()
    if thresholds is not None:
        clean = {}
        for category, value in thresholds.items():
            if category not in CATEGORIES or value in (None, ""):
                continue
            try:
                value = float(value)
            except (TypeError, ValueError):
                raise ActionError(f"The {category} threshold must be a number.", status=422, field=category) from None
            if not 0.0 < value <= 1.0:
                raise ActionError(f"The {category} threshold must be between 0 and 1.", status=422, field=category)
            clean[category] = value
        current.thresholds = clean
    if targets is not None:
        for name in ("life_target_minutes", "high_target_minutes", "default_target_minutes"):
            if name in targets and targets[name] not in (None, ""):
                try:
                    minutes = int(targets[name])
                except (TypeError, ValueError):
                    raise ActionError("Targets are whole minutes.", status=422, field=name) from None
                if minutes < 1:
                    raise ActionError("Targets are at least one minute.", status=422, field=name)
                setattr(current, name, minutes)
    with transaction.atomic():
        current.save()
        audit(admin, "policy.update", "policy", thresholds=current.thresholds,
              targets=[current.life_target_minutes, current.high_target_minutes, current.default_target_minutes])
    return current
