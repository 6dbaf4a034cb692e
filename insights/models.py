"""Precomputed figures of the dashboards: a job computes them, page views only read them."""

from __future__ import annotations

from django.db import models


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
