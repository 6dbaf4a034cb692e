"""Retrospectives (issue 11, seed 004 "Retro Agent"): what a sprint or deployment window brought in and shipped,
what it taught, and the backlog items it proposes. Written by ``insights.retrospectives``."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Now

from insights.choices import BacklogStatus, RetroKind, RetroStatus, Tracker


class Retrospective(models.Model):
    """One window's retrospective. ``facts`` holds every figure with its n (feedback in, shipped, per-theme sentiment
    before/after each launch, escalations, surveys, experiments); ``insights`` the findings with impact and
    recommendation; ``narrative`` the text (Mistral when configured, else the template). ``(kind, window_start,
    window_end)`` is unique: the scheduled run and a person's click make one retrospective, not two."""

    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=12, choices=RetroKind.choices, default=RetroKind.SPRINT)
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    status = models.CharField(max_length=10, choices=RetroStatus.choices, default=RetroStatus.DRAFT)
    facts = models.JSONField(default=dict, blank=True)
    insights = models.JSONField(
        default=list, blank=True, help_text='[{"finding", "impact", "recommendation", "evidence"}]'
    )
    narrative = models.TextField(blank=True, default="")
    written_by = models.CharField(max_length=100, blank=True, default="", help_text="Provider/model, or template.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        ordering = ["-window_end", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "window_start", "window_end"], name="retro_unique_window"),
            models.CheckConstraint(condition=models.Q(window_end__gt=models.F("window_start")), name="retro_window"),
        ]

    def __str__(self) -> str:
        return self.title


class RetroBacklogItem(models.Model):
    """A backlog item a retrospective proposes, linked to its evidence (feedback, themes, escalations). Dry run by
    default; pushing it opens one tracker issue, once (``external_key`` is kept and never pushed again)."""

    retrospective = models.ForeignKey(Retrospective, on_delete=models.CASCADE, related_name="backlog_items")
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True, default="")
    evidence = models.JSONField(
        default=dict, blank=True, help_text='{"feedback": [ids], "themes": [ids], "escalations": [ids]}'
    )
    tracker = models.CharField(max_length=10, choices=Tracker.choices, default=Tracker.LINEAR)
    status = models.CharField(max_length=10, choices=BacklogStatus.choices, default=BacklogStatus.DRY_RUN)
    external_key = models.CharField(max_length=100, blank=True, default="")
    external_url = models.URLField(blank=True, default="")
    last_error = models.TextField(blank=True, default="")
    push_attempted_at = models.DateTimeField(
        null=True, blank=True, help_text="The last push whose outcome is unknown (a timeout, a 5xx): looked up first."
    )
    pushed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["retrospective", "id"]

    def __str__(self) -> str:
        return self.title
