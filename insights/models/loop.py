"""The loop's figures, escalations, survey responses, product events and experiments."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import BrinIndex
from django.db import models
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Length, Now
from django.db.models.lookups import LessThanOrEqual

from customers.models import Customer
from feedback.models import FeedbackItem
from insights.choices import (
    Action,
    Comparison,
    Correction,
    EscalationStatus,
    ExperimentAnalysis,
    ExperimentKind,
    ExperimentStatus,
    Metric,
    Severity,
    SurveyKind,
)
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
    submission = models.ForeignKey(
        "insights.SurveySubmission",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="responses",
        help_text="The journey survey answers it came from (its NPS or CSAT question).",
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


PRODUCT_EVENT_NAME_PATTERN = r"^[a-z0-9][a-z0-9_.-]*$"  # a lower-case slug; dots allowed ("report.sent")
PRODUCT_EVENT_MAX_PROPERTIES = 8_192  # characters of the properties' JSON text: context, not a payload store


class ProductEvent(models.Model):
    """Something a customer did in the product (seed 004's journey triggers and metrics), as the product reported it.

    ``event_id`` is the client's id and the idempotency key: the intake inserts with ``ON CONFLICT (event_id) DO
    NOTHING``, so a re-sent event is a duplicate, never counted twice. Rows are never edited (append-only).

    Indexes, for a table of many millions written ~170 rows/s at the goal (10,000 a minute), so each index is paid
    on every insert:

    - ``(customer, name, occurred_at)``: per-account metrics (time-to-value: an account's first event and first
      value event; errors and incidents per account per month; feature reuse);
    - ``(name, occurred_at)``: one event's volume in a window (reports sent this month, survey triggers);
    - ``(persona, name, occurred_at)``: the same per persona segment (persona alone is its leading column);
    - BRIN on ``occurred_at``: window scans over every name (retention: who was active in week N). Events are
      appended roughly in time order (``occurred_at`` ≈ ``received_at``; late events are minutes or hours late),
      so block ranges stay narrow; a BRIN is a few pages per million rows and costs next to nothing on insert,
      where a fourth B-tree would be ~30 MB per million rows and a write per insert. It cannot sort, so the admin
      lists by ``-id`` (the primary key, in arrival order) rather than by ``occurred_at``. Block ranges are only
      narrowed once summarized (autovacuum of this insert-only table, or ``brin_summarize_new_values``); until then
      they all match. Measured on 500,000 rows over 29 days, a 7-day window: 119 ms reading every block unsummarized,
      51 ms reading a quarter of them summarized. ``autosummarize=True`` would summarize each range as it fills.
    """

    event_id = models.CharField(max_length=200, help_text="The sender's id of the event; a re-send is a duplicate.")
    name = models.CharField(
        max_length=100,
        help_text="A known name (value_delivered, feature_completed, report_sent, …) or any custom lower-case slug.",
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="product_events", db_index=False
    )  # served by product_event_customer_idx (customer leads it): a separate index would be one more write per row
    contact = models.CharField(
        max_length=254, blank=True, default="", help_text="The person: e-mail or the product's user id."
    )
    persona = models.CharField(max_length=64, blank=True, default="", help_text="The persona segment (a slug).")
    occurred_at = models.DateTimeField()
    properties = models.JSONField(default=dict, blank=True, help_text="The event's context (a small JSON object).")
    received_at = models.DateTimeField(db_default=Now())

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["event_id"], name="product_event_unique_event_id"),
            models.CheckConstraint(
                condition=models.Q(name__regex=PRODUCT_EVENT_NAME_PATTERN), name="product_event_name_slug"
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length(Cast("properties", models.TextField())), PRODUCT_EVENT_MAX_PROPERTIES),
                name="product_event_properties_bounded",
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "name", "occurred_at"], name="product_event_customer_idx"),
            models.Index(fields=["name", "occurred_at"], name="product_event_name_idx"),
            models.Index(fields=["persona", "name", "occurred_at"], name="product_event_persona_idx"),
            # autosummarize: new block ranges are summarised as they fill, not only at the next vacuum (until then a
            # BRIN scan reads every unsummarised block: measured 119 ms against 51 ms on 500k events, helper-35)
            BrinIndex(fields=["occurred_at"], name="product_event_occurred_brin", autosummarize=True),
            # an experiment's exposures (insights.experiments): found by experiment, not by scanning every exposure
            models.Index(
                KeyTextTransform("experiment", "properties"),
                "occurred_at",
                name="product_event_exposure_idx",
                condition=models.Q(name="experiment_exposure"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} · {self.customer_id} · {self.occurred_at:%Y-%m-%d %H:%M}"


class Experiment(models.Model):
    """An A/B or shadow experiment (seed 004 "A/B Testing Framework"): variants with traffic shares, success metrics,
    and the analysis declared up front (fixed horizon or sequential) with its correction for several tests.

    ``metrics`` is a list of ``{"name", "kind": "proportion"|"mean", "event", "property", "better"}``: a subject
    converts when it sends ``event`` after its exposure; a mean metric averages the number in
    ``properties[property]`` of those events per exposed subject (0 when it sent none); ``better`` is "higher" (the
    default) or "lower" (errors, time to value). ``insights.experiments.validate_metrics`` checks the shape;
    every write goes through ``insights.experiments``.
    """

    key = models.SlugField(max_length=64, unique=True, help_text="Stable id: products ask for assignments by it.")
    name = models.CharField(max_length=120)
    hypothesis = models.TextField(blank=True, default="", help_text="We believe that … will … because …")
    kind = models.CharField(max_length=8, choices=ExperimentKind.choices, default=ExperimentKind.AB)
    status = models.CharField(max_length=10, choices=ExperimentStatus.choices, default=ExperimentStatus.DRAFT)
    analysis = models.CharField(
        max_length=14,
        choices=ExperimentAnalysis.choices,
        default=ExperimentAnalysis.FIXED_HORIZON,
        help_text="Fixed horizon: no winner before the planned end (no peeking). Sequential: always-valid intervals.",
    )
    start_at = models.DateTimeField(null=True, blank=True)
    planned_end_at = models.DateTimeField(null=True, blank=True)
    metrics = models.JSONField(
        default=list,
        blank=True,
        help_text='Success metrics: [{"name": "converted", "kind": "proportion", "event": "report_sent"}, '
        '{"name": "revenue", "kind": "mean", "event": "upgrade", "property": "amount"}]',
    )
    min_sample_per_variant = models.PositiveIntegerField(
        default=100, help_text="No result is shown before every variant has this many exposed subjects."
    )
    correction = models.CharField(max_length=4, choices=Correction.choices, default=Correction.HOLM)
    ended_at = models.DateTimeField(
        null=True, blank=True, help_text="When it was stopped or concluded (set by insights.experiments)."
    )
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(planned_end_at__isnull=True)
                | models.Q(start_at__isnull=True)
                | models.Q(planned_end_at__gt=models.F("start_at")),
                name="experiment_end_after_start",
            ),
            models.CheckConstraint(condition=models.Q(min_sample_per_variant__gte=2), name="experiment_min_sample"),
        ]
        indexes = [models.Index(fields=["status", "-created_at"], name="experiment_status_idx")]

    def __str__(self) -> str:
        return self.name


class Variant(models.Model):
    """One arm of an experiment: its traffic share in % (an experiment's shares sum to 100) and whether it is the
    control every other variant is compared with (exactly one per experiment)."""

    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="variants")
    key = models.SlugField(max_length=64)
    name = models.CharField(max_length=120)
    share = models.PositiveSmallIntegerField(help_text="Traffic share in %; an experiment's shares sum to 100.")
    is_control = models.BooleanField(default=False)

    class Meta:
        ordering = ["experiment", "-is_control", "key"]
        constraints = [
            models.UniqueConstraint(fields=["experiment", "key"], name="variant_unique_experiment_key"),
            models.UniqueConstraint(
                fields=["experiment"], condition=models.Q(is_control=True), name="variant_one_control"
            ),
            models.CheckConstraint(condition=models.Q(share__lte=100), name="variant_share_percent"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.key})"
