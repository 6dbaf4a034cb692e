"""Technical metrics (issue 11, seed 003 "Correlation with technical metrics"): latency and errors per customer and
product per period, as the API, a CSV import or a Prometheus text file reported them."""

from __future__ import annotations

from django.contrib.postgres.indexes import BrinIndex
from django.db import models
from django.db.models.functions import Now

from customers.models import Customer
from insights.choices import SampleSource


class TechnicalSample(models.Model):
    """One period (an hour or a day, ``period_start`` … ``period_end``) of one product for one customer (or all of
    them: ``customer`` empty): requests, errors, latency. ``(customer, product, period_start)`` is unique, so a
    re-sent or re-imported sample replaces its row (upsert), never adds a second. Written by ``insights.technical``."""

    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.CASCADE, related_name="technical_samples", db_index=False
    )
    product = models.CharField(max_length=40, help_text="feedback.choices.Product value, or a service name.")
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    requests = models.PositiveBigIntegerField(default=0)
    errors = models.PositiveBigIntegerField(default=0)
    latency_p50_ms = models.FloatField(null=True, blank=True)
    latency_p95_ms = models.FloatField(null=True, blank=True)
    source = models.CharField(max_length=12, choices=SampleSource.choices, default=SampleSource.API)
    received_at = models.DateTimeField(db_default=Now())

    class Meta:
        ordering = ["-period_start", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "product", "period_start"],
                name="technical_sample_unique_period",
                nulls_distinct=False,
            ),
            models.CheckConstraint(condition=models.Q(errors__lte=models.F("requests")), name="technical_errors_le"),
            models.CheckConstraint(
                condition=models.Q(period_end__gt=models.F("period_start")), name="technical_period"
            ),
        ]
        indexes = [
            models.Index(fields=["product", "period_start"], name="technical_product_idx"),
            BrinIndex(fields=["period_start"], name="technical_period_brin", autosummarize=True),
        ]

    def __str__(self) -> str:
        return f"{self.product} · {self.customer_id or 'all'} · {self.period_start:%Y-%m-%d %H:%M}"

    @property
    def error_rate(self) -> float | None:
        return self.errors / self.requests if self.requests else None
