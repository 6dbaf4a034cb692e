"""Themes: clusters of feedback treated as hypotheses, verified before anything is built."""

from __future__ import annotations

from decimal import Decimal

import pghistory
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models.functions import Upper
from django.urls import reverse

from feedbackhub.event_triggers import status_event
from themes.choices import ThemeStatus, VerificationStep


class ThemeQuerySet(models.QuerySet):
    """Domain filters for themes."""

    def active(self) -> ThemeQuerySet:
        """Themes not shipped yet."""
        return self.exclude(status=ThemeStatus.SHIPPED)

    def by_arr_impact(self) -> ThemeQuerySet:
        """Largest ARR impacted first (the leadership view's order)."""
        return self.order_by("-arr_impacted", "id")


@pghistory.track(
    pghistory.UpdateEvent("before_update", row=pghistory.Old),
    pghistory.DeleteEvent("before_delete"),
    exclude=[  # the rollups change every minute by themselves: not a person's change
        "feedback_count",
        "unique_customers",
        "arr_impacted",
        "arr_at_risk",
        "rollups_refreshed_at",
        "rollups_dirty",
        "verify_notified_at",
        "segment_rollups",
        "tracker_states",  # written by the trackers' webhooks; the status change they cause is tracked
        "updated_at",
        "created_at",
    ],
    model_name="ThemeHistory",
)
class Theme(models.Model):
    """A group of related feedback, with its problem statement, verification and rollups."""

    name = models.CharField(max_length=200, unique=True)
    description = models.TextField(blank=True)
    problem_statement = models.TextField(
        "problem / JTBD statement",
        blank=True,
        help_text="We believe [segment] struggles with [problem] when trying to [job to be done].",
    )
    status = models.CharField(max_length=12, choices=ThemeStatus.choices, default=ThemeStatus.HYPOTHESIS)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_themes",
        verbose_name="owner (PM)",
    )
    tracker_issues = ArrayField(
        models.CharField(max_length=64), default=list, blank=True, help_text="Linear/Jira/GitHub keys, e.g. LIN-142."
    )
    tracker_states = models.JSONField(
        default=dict,
        blank=True,
        editable=False,
        help_text="Each tracker issue's state as its tracker last reported it: {key: {state, at}}.",
    )
    feedback_count = models.PositiveIntegerField(default=0, editable=False)
    unique_customers = models.PositiveIntegerField(default=0, editable=False)
    arr_impacted = models.DecimalField(
        "ARR impacted", max_digits=16, decimal_places=2, default=Decimal("0"), editable=False
    )
    arr_at_risk = models.DecimalField(
        "ARR at risk", max_digits=16, decimal_places=2, default=Decimal("0"), editable=False
    )
    rollups_refreshed_at = models.DateTimeField(null=True, blank=True, editable=False)
    segment_rollups = models.JSONField(
        default=dict,
        blank=True,
        editable=False,
        help_text="Who asked, by customer segment (themes.segments), counted with the other rollups.",
    )
    verify_notified_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When the owner was told the theme reached enough feedback to verify (seed 001: 5 items).",
    )
    shipped_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When it first became shipped (set by the close-the-loop job): the time from feedback to ship.",
    )
    rollups_dirty = models.BooleanField(
        default=False, editable=False, help_text="Linked feedback changed: the rollup job recomputes this theme soon."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ThemeQuerySet.as_manager()

    class Meta:
        ordering = ["-arr_impacted", "id"]
        indexes = [
            models.Index(fields=["-arr_impacted", "id"], name="theme_arr_idx"),
            models.Index(fields=["status", "-arr_impacted", "id"], name="theme_status_idx"),
            models.Index(fields=["-feedback_count"], name="theme_feedback_count_idx"),
            GinIndex(OpClass(Upper("name"), name="gin_trgm_ops"), name="theme_name_trgm"),
            GinIndex(OpClass(Upper("description"), name="gin_trgm_ops"), name="theme_description_trgm"),
            models.Index(fields=["id"], name="theme_rollups_dirty_idx", condition=models.Q(rollups_dirty=True)),
        ]
        # Shipping a theme closes the loop (launches.closing, notifications), whichever door shipped it.
        triggers = [
            status_event(name="theme_shipped_event", event="theme.shipped", status="shipped", id_key="theme_id")
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("admin:themes_theme_change", args=[self.pk])


class ThemeVerification(models.Model):
    """One step of a theme's verify-before-build checklist."""

    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="verification_steps")
    step = models.CharField(max_length=24, choices=VerificationStep.choices)
    position = models.PositiveSmallIntegerField(default=0)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    done_at = models.DateTimeField(null=True, blank=True)
    notes = models.TextField(blank=True, help_text="Evidence: who was talked to, what came up, the numbers.")

    class Meta:
        ordering = ["theme", "position"]
        constraints = [
            models.UniqueConstraint(fields=["theme", "step"], name="theme_verification_unique_step"),
            models.CheckConstraint(
                condition=models.Q(done_by__isnull=True) | models.Q(done_at__isnull=False),
                name="theme_verification_done_by_needs_done_at",
            ),
        ]
        indexes = [models.Index(fields=["theme", "position"], name="theme_verification_order_idx")]

    def __str__(self) -> str:
        return f"{self.theme}: {self.get_step_display()}"

    @property
    def is_done(self) -> bool:
        """Whether the step has been ticked."""
        return self.done_at is not None


class ThemeSuggestion(models.Model):
    """A cluster of unthemed feedback the provider proposes as a theme; a PM accepts, renames or rejects it."""

    class Decision(models.TextChoices):
        PENDING = "pending", "To review"
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected"

    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    items = models.ManyToManyField("feedback.FeedbackItem", related_name="theme_suggestions", blank=True)
    size = models.PositiveIntegerField(default=0, help_text="Items in the cluster when it was found.")
    cohesion = models.FloatField(default=0, help_text="Mean cosine of the members to their centre (0..1).")
    provider = models.CharField(max_length=32, blank=True)
    decision = models.CharField(max_length=10, choices=Decision.choices, default=Decision.PENDING)
    theme = models.ForeignKey(
        Theme, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", help_text="The theme it became."
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-size", "-id"]
        indexes = [models.Index(fields=["decision", "-size"], name="theme_suggestion_queue_idx")]

    def __str__(self) -> str:
        return self.name


class LeadershipTheme(Theme):
    """Leadership's view of themes: by ARR impact, the top ten first, with customer counts and total ARR."""

    class Meta:
        proxy = True
        verbose_name = "theme by ARR impact"
        verbose_name_plural = "leadership view: themes by ARR"
