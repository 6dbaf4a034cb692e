"""Customers (the accounts feedback comes from) and their usage over time."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pghistory
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models.functions import Upper
from django.urls import reverse

from customers.choices import Industry, Language, Lifecycle, Plan, Region, Tier, UseCase
from customers.rules import at_risk_q, is_at_risk


class CustomerQuerySet(models.QuerySet):
    """Domain filters for customers."""

    def at_risk(self) -> CustomerQuerySet:
        """Accounts flagged at risk, or live accounts whose health score fell under the threshold (churned: lost)."""
        return self.filter(at_risk_q())

    def renewing_within(self, days: int, *, today: date | None = None) -> CustomerQuerySet:
        """Accounts whose renewal date falls in the next ``days`` days."""
        today = today or date.today()
        return self.filter(renewal_date__gte=today, renewal_date__lte=today + timedelta(days=days))


# Figures computed every day from signals (``customers.usage``, ``insights.health``) are not people's changes: tracking
# them would write a history row per account per day and bury who changed what.
COMPUTED_FIELDS = ["health_score", "last_active_on", "usage_change_7d", "usage_change_30d", "heavy_features"]


@pghistory.track(
    pghistory.UpdateEvent("before_update", row=pghistory.Old),
    pghistory.DeleteEvent("before_delete"),
    exclude=["updated_at", "created_at", *COMPUTED_FIELDS],
    model_name="CustomerHistory",
)
class Customer(models.Model):
    """An account (company) that gives feedback, enriched with the segments the loop slices by."""

    name = models.CharField("company", max_length=200)
    domain = models.CharField(
        max_length=253,
        unique=True,
        null=True,
        blank=True,
        help_text="Email domain used to match incoming feedback to this account.",
    )
    industry = models.CharField(max_length=32, choices=Industry.choices)
    region = models.CharField(max_length=32, choices=Region.choices)
    language = models.CharField(max_length=8, choices=Language.choices, default=Language.ENGLISH)
    tier = models.CharField(max_length=32, choices=Tier.choices)
    arr = models.DecimalField("ARR (USD)", max_digits=14, decimal_places=2, default=Decimal("0"))
    plan = models.CharField(max_length=16, choices=Plan.choices, default=Plan.ENTERPRISE)
    lifecycle_stage = models.CharField(max_length=16, choices=Lifecycle.choices, default=Lifecycle.ACTIVE)
    primary_use_case = models.CharField(max_length=32, choices=UseCase.choices, blank=True)
    account_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="owned_customers"
    )
    customer_since = models.DateField(null=True, blank=True)
    health_score = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text=(
            "0 (about to churn) to 100, computed every day (insights.health): usage trend over 30 days (25 points), "
            "days since last activity (20), NPS/CSAT answers of the last 90 days (20), negative feedback and churn "
            "signals of the last 90 days (20), open escalations (15). An input with no data counts half its points."
        ),
    )
    renewal_date = models.DateField(null=True, blank=True)
    crm_id = models.CharField(
        "CRM id",
        max_length=64,
        unique=True,
        null=True,
        blank=True,
        help_text="External id in the CRM (e.g. Salesforce account id).",
    )
    # Usage signals (customers.usage), refreshed from the usage snapshots by one UPDATE for all accounts.
    last_active_on = models.DateField(
        "last active on", null=True, blank=True, editable=False, help_text="Last day with active users."
    )
    usage_change_7d = models.FloatField(
        "usage change, 7 days (%)",
        null=True,
        blank=True,
        editable=False,
        help_text="Active users of the last 7 days against the 7 before, in %; empty when there is too little data.",
    )
    usage_change_30d = models.FloatField(
        "usage change, 30 days (%)",
        null=True,
        blank=True,
        editable=False,
        help_text="Active users of the last 30 days against the 30 before, in %; empty when there is too little data.",
    )
    heavy_features = ArrayField(
        models.CharField(max_length=50),
        default=list,
        db_default=[],  # rows written in SQL (the scale seeder's COPY) need no value for it
        blank=True,
        editable=False,
        help_text="Features this account uses more than 90 % of the accounts using each, over 30 days.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CustomerQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(health_score__lte=100), name="customer_health_score_0_100"),
            models.CheckConstraint(condition=models.Q(arr__gte=0), name="customer_arr_not_negative"),
        ]
        indexes = [
            models.Index(fields=["name", "id"], name="customer_name_idx"),
            models.Index(fields=["industry", "name", "id"], name="customer_industry_idx"),
            models.Index(fields=["region", "name", "id"], name="customer_region_idx"),
            models.Index(fields=["language", "name", "id"], name="customer_language_idx"),
            models.Index(fields=["tier", "name", "id"], name="customer_tier_idx"),
            models.Index(fields=["plan", "name", "id"], name="customer_plan_idx"),
            models.Index(fields=["lifecycle_stage", "name", "id"], name="customer_lifecycle_idx"),
            models.Index(fields=["primary_use_case", "name", "id"], name="customer_use_case_idx"),
            models.Index(fields=["-arr"], name="customer_arr_idx"),
            models.Index(fields=["renewal_date"], name="customer_renewal_idx"),
            models.Index(fields=["health_score"], name="customer_health_idx"),
            models.Index(fields=["customer_since"], name="customer_since_idx"),  # cohort: signed up lately
            models.Index(fields=["last_active_on"], name="customer_last_active_idx"),  # inactivity
            models.Index(fields=["usage_change_30d"], name="customer_usage_30d_idx"),  # cohort: usage down
            GinIndex(fields=["heavy_features"], name="customer_heavy_features_gin"),  # cohort: heavy users of X
            models.Index(Upper("crm_id"), name="customer_crm_id_upper_idx"),  # admin search "=crm_id"
            GinIndex(OpClass(Upper("name"), name="gin_trgm_ops"), name="customer_name_trgm"),
            GinIndex(OpClass(Upper("domain"), name="gin_trgm_ops"), name="customer_domain_trgm"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("admin:customers_customer_change", args=[self.pk])

    @property
    def days_as_customer(self) -> int | None:
        """Days since the account became a customer (None for prospects with no start date)."""
        return (date.today() - self.customer_since).days if self.customer_since else None

    @property
    def is_at_risk(self) -> bool:
        """Same rule as ``CustomerQuerySet.at_risk`` for one loaded row."""
        return is_at_risk(lifecycle_stage=self.lifecycle_stage, health_score=self.health_score)


class UsageSnapshot(models.Model):
    """One day of an account's product usage: the behavioural signal (drops, inactivity) comes from these."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="usage_snapshots")
    taken_on = models.DateField()
    active_users = models.PositiveIntegerField(default=0)
    api_requests = models.PositiveBigIntegerField(default=0)
    tokens_used = models.PositiveBigIntegerField(default=0)
    features_used = models.JSONField(default=dict, blank=True, help_text="Feature name → number of uses that day.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-taken_on", "-id"]
        get_latest_by = "taken_on"
        constraints = [
            models.UniqueConstraint(fields=["customer", "taken_on"], name="usage_snapshot_unique_customer_day"),
        ]
        indexes = [
            models.Index(fields=["-taken_on", "-id"], name="usage_taken_on_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.customer} on {self.taken_on:%Y-%m-%d}"
