"""Trust and safety records: rules, screenings, reports, the queue, decisions, appeals, audit.

Records that must outlive what they are about (a removed post, a deleted account) keep the
subject's ID and a snapshot as plain columns instead of a foreign key that would cascade.
"""

from datetime import timedelta

from django.db import models
from django.utils import timezone

from rostra.accounts.models import Account, User
from rostra.core.fields import SnowflakeField

REPORT_REASONS = [
    ("violence", "Violence or threats"),
    ("hate", "Hate"),
    ("harassment", "Harassment"),
    ("spam", "Spam"),
    ("illegal", "Illegal content"),
    ("other", "Something else"),
]

# Severity levels: the first thing the queue orders by. 4 is a possible threat to life.
SEVERITY_LIFE, SEVERITY_HIGH, SEVERITY_MEDIUM, SEVERITY_LOW = 4, 3, 2, 1
SEVERITY_NAMES = {4: "threat to life", 3: "high", 2: "medium", 1: "low"}


class ModerationSettings(models.Model):
    """The instance's moderation policy: clocks per severity and threshold overrides (one row)."""

    life_target_minutes = models.PositiveIntegerField(default=60, help_text="Target for threats to life.")
    high_target_minutes = models.PositiveIntegerField(default=6 * 60)
    default_target_minutes = models.PositiveIntegerField(default=24 * 60)
    thresholds = models.JSONField(default=dict, blank=True, help_text="Per-category overrides of the model's.")
    reject_at = models.JSONField(default=dict, blank=True, help_text="Scores rejected outright; empty: never.")

    CACHE_KEY = "moderation:settings:v1"

    def save(self, *args, **kwargs):
        from django.db import transaction

        from .rules import shared_cache

        self.pk = 1
        super().save(*args, **kwargs)
        cache = shared_cache()
        if cache is not None:
            cache.delete(self.CACHE_KEY)
            transaction.on_commit(lambda: cache.delete(self.CACHE_KEY))

    @classmethod
    def current(cls):
        """The settings row (from the shared cache when there is one: screening reads it for every post)."""
        from .rules import shared_cache

        cache = shared_cache()
        obj = cache.get(cls.CACHE_KEY) if cache is not None else None
        if obj is None:
            obj = cls.objects.filter(pk=1).first() or cls.objects.get_or_create(pk=1)[0]
            if cache is not None:
                cache.set(cls.CACHE_KEY, obj, timeout=300)
        return obj

    def target(self, severity):
        minutes = {SEVERITY_LIFE: self.life_target_minutes, SEVERITY_HIGH: self.high_target_minutes}.get(
            severity, self.default_target_minutes
        )
        return timedelta(minutes=minutes)


class Rule(models.Model):
    """A moderator-written rule, applied to every post screened after it is saved."""

    class Kind(models.TextChoices):
        KEYWORD = "keyword", "Keyword or phrase"
        REGEX = "regex", "Regular expression"
        DOMAIN = "domain", "Link domain"

    class Action(models.TextChoices):
        LABEL = "label", "Publish behind a content warning"
        HOLD = "hold", "Hold for a moderator"
        REJECT = "reject", "Reject"

    id = SnowflakeField()
    kind = models.CharField(max_length=10, choices=Kind.choices)
    pattern = models.CharField(max_length=200)
    action = models.CharField(max_length=10, choices=Action.choices)
    category = models.CharField(max_length=20, choices=REPORT_REASONS, default="other")
    enabled = models.BooleanField(default=True)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"{self.kind}: {self.pattern} -> {self.action}"


class Screening(models.Model):
    """What screening found for one version of a post; kept even after the post is removed."""

    id = SnowflakeField()
    post_id = models.BigIntegerField(db_index=True)
    model_version = models.CharField(max_length=60, blank=True, default="")
    scores = models.JSONField(default=dict, blank=True)
    flags = models.JSONField(default=list, blank=True)
    decision = models.CharField(max_length=10)
    rules = models.JSONField(default=list, blank=True, help_text="IDs of the rules that matched.")
    error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)


class QueueItem(models.Model):
    """One subject (a post, or an account) waiting for a moderator, however many reports it has.

    ``priority`` is stored so the queue page is one index scan: severity first (threats to
    life on top), then reach (a log scale of followers + echoes + votes); equal priorities
    go oldest first through ``created_at``.
    """

    class Kind(models.TextChoices):
        REPORT = "report", "User report"
        HOLD = "hold", "Held by screening"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DECIDED = "decided", "Decided"

    id = SnowflakeField()
    kind = models.CharField(max_length=10, choices=Kind.choices)
    post_id = models.BigIntegerField(null=True, blank=True)
    account = models.ForeignKey(Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    severity = models.PositiveSmallIntegerField(default=SEVERITY_LOW)
    category = models.CharField(max_length=20, blank=True, default="")
    top_score = models.FloatField(default=0.0)
    reach = models.PositiveIntegerField(default=0)
    priority = models.BigIntegerField(default=0)
    reports_count = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    assigned_to = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["status", "-priority", "created_at"], name="queue_order_idx"),
            models.Index(fields=["status", "due_at"], name="queue_due_idx"),
            models.Index(fields=["status", "severity", "created_at"], name="queue_severity_idx"),
            models.Index(fields=["decided_at"], name="queue_decided_idx"),
            models.Index(fields=["account", "status"], name="queue_account_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["post_id"], condition=models.Q(status="open", post_id__isnull=False), name="queue_one_open_post"
            ),
            models.UniqueConstraint(
                fields=["account"], condition=models.Q(status="open", post_id__isnull=True), name="queue_one_open_account"
            ),
        ]

    @property
    def severity_name(self):
        return SEVERITY_NAMES.get(self.severity, "low")

    @property
    def waiting(self):
        return (self.decided_at or timezone.now()) - self.created_at

    @property
    def overdue(self):
        return self.status == self.Status.OPEN and timezone.now() > self.due_at


class Report(models.Model):
    """Someone signed in saying a post or an account breaks the rules."""

    id = SnowflakeField()
    reporter = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="reports_made")
    post_id = models.BigIntegerField(null=True, blank=True)
    account = models.ForeignKey(Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="reports_about")
    queue_item = models.ForeignKey(QueueItem, null=True, on_delete=models.SET_NULL, related_name="reports")
    reason = models.CharField(max_length=20, choices=REPORT_REASONS)
    comment = models.TextField(blank=True, default="", max_length=1000)
    created_at = models.DateTimeField(default=timezone.now)
    outcome = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        indexes = [models.Index(fields=["reporter", "-created_at"], name="report_reporter_idx")]


class Decision(models.Model):
    """A decision with its statement of reasons (DSA art. 17 style): what, why, who or what, how to appeal."""

    class Action(models.TextChoices):
        APPROVE = "approve", "Approved"
        REMOVE = "remove", "Post removed"
        CONTENT_WARNING = "content_warning", "Content warning added"
        LIMIT = "limit", "Account limited to followers"
        SUSPEND = "suspend", "Account suspended"
        WARN = "warn", "Warning (strike)"
        REJECT = "reject", "Post rejected"
        HOLD = "hold", "Post held for review"
        RESTORE = "restore", "Restored on appeal"
        UPHOLD = "uphold", "Appeal rejected, decision upheld"

    id = SnowflakeField()
    action = models.CharField(max_length=20, choices=Action.choices)
    post_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    post_text = models.TextField(blank=True, default="", help_text="The post as it was, kept for the record.")
    account = models.ForeignKey(Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="decisions")
    account_name = models.CharField(max_length=300, blank=True, default="")
    moderator = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    automated_detection = models.BooleanField(default=False)
    automated_decision = models.BooleanField(default=False)
    source = models.CharField(max_length=10, default="automated", help_text="automated or report")
    category = models.CharField(max_length=20, blank=True, default="")
    rule = models.ForeignKey(Rule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    facts = models.TextField(blank=True, default="")
    statement = models.TextField(blank=True, default="")
    model_version = models.CharField(max_length=60, blank=True, default="")
    scores = models.JSONField(default=dict, blank=True)
    suspended_until = models.DateTimeField(null=True, blank=True)
    appeal_deadline = models.DateTimeField(null=True, blank=True)
    police_referral = models.BooleanField(default=False)
    police_note = models.TextField(blank=True, default="")
    queue_item = models.ForeignKey(QueueItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    seconds_to_decision = models.FloatField(null=True, blank=True)
    appeal_of = models.ForeignKey("Appeal", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["account", "-created_at"], name="decision_account_idx"),
            models.Index(fields=["created_at"], name="decision_created_idx"),
        ]

    @property
    def url(self):
        return f"/decisions/{self.id}"

    @property
    def appealable(self):
        return (
            self.action not in (self.Action.APPROVE, self.Action.RESTORE, self.Action.UPHOLD)
            and self.appeal_of_id is None
            and self.appeal_deadline is not None
            and timezone.now() <= self.appeal_deadline
        )


class Appeal(models.Model):
    """The affected person asking for a decision to be looked at again, once, by someone else."""

    id = SnowflakeField()
    decision = models.OneToOneField(Decision, on_delete=models.CASCADE, related_name="appeal")
    appellant = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    text = models.TextField(max_length=2000)
    created_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    outcome = models.ForeignKey(Decision, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        indexes = [models.Index(fields=["decided_at", "created_at"], name="appeal_open_idx")]


class AppendOnly(Exception):
    """The audit log is never changed or shortened through the application."""


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnly("audit entries cannot be updated")

    def delete(self):
        raise AppendOnly("audit entries cannot be deleted")

    def bulk_update(self, *args, **kwargs):
        raise AppendOnly("audit entries cannot be updated")


class AuditEntry(models.Model):
    """One moderator or admin action (or an automated one), written once and never changed.

    The actor is kept by ID and name, not by foreign key, so deleting a user cannot rewrite
    the log.
    """

    id = SnowflakeField()
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_name = models.CharField(max_length=150, blank=True, default="")
    action = models.CharField(max_length=40)
    subject = models.CharField(max_length=200, blank=True, default="")
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = AuditQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["-created_at"], name="audit_created_idx")]

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnly("audit entries cannot be changed")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly("audit entries cannot be deleted")
