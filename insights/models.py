"""Precomputed figures of the dashboards: a job computes them, page views only read them."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models.functions import Now

from customers.models import Customer
from feedback.models import FeedbackItem
from insights.choices import Action, Comparison, EscalationStatus, Metric, Severity, SurveyKind
from themes.models import Theme


class DashboardFigure(models.Model):
    """One precomputed figure (a key figure set, a chart's series, a table), with its sample size and age."""

    key = models.CharField(max_length=64, unique=True)
    data = models.JSONField(default=dict)
    sample_size = models.PositiveIntegerField(default=0, help_text="How many rows the figure was computed from.")
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.key


class EscalationRule(models.Model):
    """A condition the hourly check watches (seed 004): metric, period, threshold, comparison → severity, action and
    channels. Editable in the admin; the defaults come from a data migration."""

    name = models.CharField(max_length=120, unique=True)
    metric = models.CharField(max_length=32, choices=Metric.choices)
    period_days = models.PositiveSmallIntegerField(default=7, help_text="Look-back window in days.")
    threshold = models.DecimalField(max_digits=14, decimal_places=2)
    comparison = models.CharField(max_length=4, choices=Comparison.choices, default=Comparison.GTE)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.MEDIUM)
    action = models.CharField(max_length=24, choices=Action.choices, default=Action.CS_ALERT)
    channels = ArrayField(models.CharField(max_length=10), default=list, blank=True, help_text="email, slack")
    enabled = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Escalation(models.Model):
    """One condition found true: severity, affected customers, owner, status and resolution notes.

    ``condition_key`` names the condition (rule + customer or theme); a partial unique constraint keeps one open
    (or acknowledged) escalation per condition, so the hourly check never opens a second one.
    """

    rule = models.ForeignKey(EscalationRule, on_delete=models.PROTECT, related_name="escalations")
    condition_key = models.CharField(max_length=200)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    summary = models.CharField(max_length=300)
    details = models.JSONField(default=dict, blank=True)
    customers = models.ManyToManyField(Customer, blank=True, related_name="escalations")
    theme = models.ForeignKey(Theme, null=True, blank=True, on_delete=models.SET_NULL, related_name="escalations")
    feedback = models.ForeignKey(
        FeedbackItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="escalations"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="escalations"
    )
    status = models.CharField(max_length=14, choices=EscalationStatus.choices, default=EscalationStatus.OPEN)
    resolution_notes = models.TextField(blank=True, default="")
    opened_at = models.DateTimeField(db_default=Now())
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["condition_key"],
                condition=~models.Q(status=EscalationStatus.RESOLVED),
                name="escalation_one_open_per_condition",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "-opened_at"], name="escalation_status_idx"),
            models.Index(fields=["owner", "status"], name="escalation_owner_idx"),
        ]

    def __str__(self) -> str:
        return self.summary


class SurveyResponse(models.Model):
    """An NPS (0–10) or CSAT (1–5) answer, from the API or a CSV import; its comment becomes a feedback item.

    ``(source, external_id)`` is unique: re-sending a response never stores it twice.
    """

    kind = models.CharField(max_length=4, choices=SurveyKind.choices)
    score = models.PositiveSmallIntegerField()
    comment = models.TextField(blank=True, default="")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="survey_responses")
    contact_email = models.EmailField(blank=True, default="")
    survey = models.CharField(max_length=120, blank=True, default="", help_text="Which survey asked.")
    source = models.CharField(max_length=40, default="api")
    external_id = models.CharField(max_length=200)
    responded_at = models.DateTimeField()
    feedback = models.OneToOneField(
        FeedbackItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="survey_response"
    )
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        ordering = ["-responded_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["source", "external_id"], name="survey_response_unique_source_id"),
            models.CheckConstraint(
                condition=(models.Q(kind="nps", score__lte=10) | models.Q(kind="csat", score__gte=1, score__lte=5)),
                name="survey_response_score_in_range",
            ),
        ]
        indexes = [
            models.Index(fields=["-responded_at", "-id"], name="survey_responded_idx"),
            models.Index(fields=["customer", "-responded_at"], name="survey_customer_idx"),
            models.Index(fields=["kind", "score", "-responded_at"], name="survey_kind_score_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.score} from {self.customer}"
