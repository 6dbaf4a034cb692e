"""Journey-triggered surveys (issue 11, seed 004 "Journey Surveys"): definitions, one invitation per contact per
trigger occurrence, and the single submission a signed link allows. Every write goes through ``insights.journeys``."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models.functions import Now

from customers.models import Customer
from feedback.models import FeedbackItem
from insights.choices import InvitationStatus, SkipReason
from insights.models.loop import ProductEvent

DEFAULT_COOLDOWN_DAYS = 7


class JourneySettings(models.Model):
    """The settings of all journey surveys: one row (pk 1), editable in the admin."""

    cooldown_days = models.PositiveSmallIntegerField(
        default=DEFAULT_COOLDOWN_DAYS,
        help_text="A contact surveyed (by any survey) within this many days is skipped, never queued for later.",
    )
    link_valid_days = models.PositiveSmallIntegerField(
        default=14, help_text="How long a survey link can be answered after it is sent."
    )

    class Meta:
        verbose_name = "journey survey settings"
        verbose_name_plural = "journey survey settings"
        constraints = [models.CheckConstraint(condition=models.Q(pk=1), name="journey_settings_single_row")]

    def __str__(self) -> str:
        return "Journey survey settings"


class JourneySurvey(models.Model):
    """A survey sent when a product event happens: its trigger (event name plus an optional match on the event's
    properties), the persona segments it is for (none: all), 3–5 questions, a delay and active dates.

    ``questions`` is a list of ``{"key", "kind": nps|csat|choice|text, "text", "choices": [..] (choice only)}``,
    checked by ``insights.journeys.validate_questions``.
    """

    key = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=120)
    trigger_event = models.CharField(max_length=100, help_text="The product event name that triggers it.")
    trigger_match = models.JSONField(
        default=dict, blank=True, help_text='Optional: event properties that must be equal, e.g. {"plan": "pro"}.'
    )
    personas = ArrayField(
        models.CharField(max_length=64), default=list, blank=True, help_text="Persona segments; empty: every persona."
    )
    intro = models.CharField(max_length=300, blank=True, default="", help_text="One line above the questions.")
    questions = models.JSONField(default=list)
    delay_minutes = models.PositiveIntegerField(default=60, help_text="Wait this long after the event before sending.")
    channel = models.CharField(max_length=10, default="email", help_text="email, or slack (the contact's channel).")
    active_from = models.DateTimeField(null=True, blank=True)
    active_until = models.DateTimeField(null=True, blank=True)
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["trigger_event"], name="journey_trigger_idx", condition=models.Q(enabled=True))]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(active_until__isnull=True)
                | models.Q(active_from__isnull=True)
                | models.Q(active_until__gt=models.F("active_from")),
                name="journey_active_dates_ordered",
            )
        ]

    def __str__(self) -> str:
        return self.name


class SurveyInvitation(models.Model):
    """One survey for one contact, for one trigger occurrence: scheduled (waiting for the delay), then sent or
    skipped (the reason kept), then answered. ``(survey, event)`` is unique: a trigger occurrence sends a survey at
    most once. The link's token signs ``pk`` and ``nonce`` (``insights.journeys.token_for``)."""

    survey = models.ForeignKey(JourneySurvey, on_delete=models.CASCADE, related_name="invitations")
    event = models.ForeignKey(ProductEvent, null=True, on_delete=models.SET_NULL, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="survey_invitations")
    contact = models.CharField(max_length=254)
    persona = models.CharField(max_length=64, blank=True, default="")
    status = models.CharField(max_length=10, choices=InvitationStatus.choices, default=InvitationStatus.SCHEDULED)
    skip_reason = models.CharField(max_length=12, choices=SkipReason.choices, blank=True, default="")
    nonce = models.CharField(max_length=32, unique=True, help_text="Random; part of the signed link.")
    due_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    notification = models.ForeignKey(
        "notifications.Notification", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "event"], name="invitation_once_per_occurrence"),
        ]
        indexes = [
            models.Index(fields=["due_at"], name="invitation_due_idx", condition=models.Q(status="scheduled")),
            models.Index(fields=["contact", "-sent_at"], name="invitation_contact_idx"),  # the cooldown
            models.Index(fields=["survey", "persona", "status"], name="invitation_figures_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.survey} → {self.contact}"


class SurveySubmission(models.Model):
    """The answers to one invitation. ``invitation`` is unique: a second submission of the same link (another tab,
    a replay) cannot be stored, whatever the timing. NPS/CSAT answers also become ``SurveyResponse`` rows; the free
    text becomes a feedback item (``feedback``) that goes through triage."""

    invitation = models.OneToOneField(SurveyInvitation, on_delete=models.CASCADE, related_name="submission")
    answers = models.JSONField(default=dict, help_text="Question key → answer.")
    feedback = models.OneToOneField(
        FeedbackItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="survey_submission"
    )
    submitted_at = models.DateTimeField(db_default=Now())

    class Meta:
        ordering = ["-submitted_at", "-id"]

    def __str__(self) -> str:
        return f"answers to {self.invitation}"
