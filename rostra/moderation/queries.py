"""Reads of moderation records that more than one caller needs."""

from statistics import median

from django.utils import timezone

from .models import SEVERITY_NAMES, Appeal, Decision, QueueItem

QUEUE_PAGE = 50


def under_police_referral(post_id):
    """True while any decision about this post stands referred to the police."""
    return Decision.objects.filter(post_id=post_id, police_referral=True).exists()


def open_queue(limit=QUEUE_PAGE, offset=0, assigned_to=None):
    """Open items, most urgent first: severity and reach (``priority``), then the oldest."""
    qs = QueueItem.objects.filter(status=QueueItem.Status.OPEN)
    if assigned_to is not None:
        qs = qs.filter(assigned_to=assigned_to)
    return list(
        qs.order_by("-priority", "created_at").select_related("account", "assigned_to")[offset : offset + limit]
    )


def open_appeals(limit=50):
    return list(
        Appeal.objects.filter(decided_at__isnull=True)
        .select_related("decision", "appellant", "decision__moderator")
        .order_by("created_at")[:limit]
    )


def dashboard(now=None):
    """Open items by severity, the oldest open item's age, overdue items, the 7-day median time to decision.

    Every figure is one indexed query, so the page stays fast with 100,000 open items.
    """
    now = now or timezone.now()
    open_items = QueueItem.objects.filter(status=QueueItem.Status.OPEN)
    # Per severity, two seeks on (status, severity, created_at): a GROUP BY over the same
    # index took ten times as long with 100,000 open items on SQLite.
    by_severity, oldest = {}, None
    for severity in SEVERITY_NAMES:
        these = open_items.filter(severity=severity)
        by_severity[severity] = these.count()
        first = these.order_by("created_at").values_list("created_at", flat=True).first()
        if first is not None and (oldest is None or first < oldest):
            oldest = first
    overdue = open_items.filter(due_at__lt=now).count()
    week = list(
        Decision.objects.filter(created_at__gte=now - timezone.timedelta(days=7), seconds_to_decision__isnull=False)
        .exclude(automated_decision=True)
        .values_list("seconds_to_decision", flat=True)[:100000]
    )
    return {
        "by_severity": [(SEVERITY_NAMES[s], by_severity.get(s, 0)) for s in sorted(SEVERITY_NAMES, reverse=True)],
        "open": sum(by_severity.values()),
        "oldest_age": (now - oldest) if oldest else None,
        "overdue": overdue,
        "median_seconds": median(week) if week else None,
        "decided_7d": len(week),
        "open_appeals": Appeal.objects.filter(decided_at__isnull=True).count(),
        "oldest_text": duration_text((now - oldest).total_seconds()) if oldest else "none",
        "median_text": duration_text(median(week)) if week else "no decisions yet",
    }


def duration_text(seconds):
    """A short, human duration: 45 s, 12 min, 3.5 h, 2.0 days."""
    seconds = max(0.0, float(seconds))
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def decisions_for(account, limit=100):
    return list(Decision.objects.filter(account=account).order_by("-created_at")[:limit])
