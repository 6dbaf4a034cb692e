"""Shadow experiments (issue 11, seed 004): what a variant nobody sees computed for a subject, beside what the live
variant produced for the same subject, so the two can be compared before trusting the new one."""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Now

from insights.models.loop import Experiment, Variant


class ShadowObservation(models.Model):
    """One subject (a feedback item, a request…) seen by one shadow variant: its output and the live output, per
    field (``{"category": "bug", "sentiment_label": "negative"}``). ``(experiment, variant, subject)`` is unique:
    re-running the shadow on an item replaces nothing and counts once. Written by ``insights.shadow``."""

    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="shadow_observations")
    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="+")
    subject = models.CharField(max_length=200)
    live = models.JSONField(default=dict)
    shadow = models.JSONField(default=dict)
    observed_at = models.DateTimeField(db_default=Now())

    class Meta:
        ordering = ["-observed_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["experiment", "variant", "subject"], name="shadow_once_per_subject")
        ]

    def __str__(self) -> str:
        return f"{self.experiment} · {self.variant.key} · {self.subject}"
