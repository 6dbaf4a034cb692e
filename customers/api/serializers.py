"""Customer API serializers: the account with its segments, and its daily usage."""

from __future__ import annotations

from rest_framework import serializers

from customers.models import Customer, UsageSnapshot
from customers.selectors import visible_to
from customers.services import normalize_domain
from feedbackhub.api import HubModelSerializer, scoped_queryset


class CustomerSerializer(HubModelSerializer):
    """An account. ``domain`` is stored bare and lower-case (``https://www.Acme.com`` → ``acme.com``)."""

    is_at_risk = serializers.BooleanField(read_only=True, help_text="Flagged at risk, or live with low health.")

    class Meta:
        model = Customer
        fields = [
            "id",
            "name",
            "domain",
            "crm_id",
            "industry",
            "region",
            "language",
            "tier",
            "arr",
            "plan",
            "lifecycle_stage",
            "primary_use_case",
            "account_owner",
            "customer_since",
            "health_score",
            "renewal_date",
            "is_at_risk",
            "last_active_on",
            "usage_change_7d",
            "usage_change_30d",
            "heavy_features",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {
            "arr": {"min_value": 0},
            "health_score": {"min_value": 0, "max_value": 100},
            "domain": {"validators": []},  # unique once normalised: validate_domain
            "crm_id": {"validators": []},  # unique, blank or not: validate_crm_id
        }

    def validate_domain(self, value: str | None) -> str | None:
        domain = normalize_domain(value) or None
        if domain and self._taken(domain__iexact=domain):
            raise serializers.ValidationError(f"Another account already has the domain “{domain}”.")
        return domain

    def validate_crm_id(self, value: str | None) -> str | None:
        crm_id = (value or "").strip() or None
        if crm_id and self._taken(crm_id=crm_id):
            raise serializers.ValidationError(f"Another account already has the CRM id “{crm_id}”.")
        return crm_id

    def _taken(self, **lookup) -> bool:
        others = Customer.objects.filter(**lookup)
        if self.instance is not None:
            others = others.exclude(pk=self.instance.pk)
        return others.exists()


class UsageSnapshotSerializer(HubModelSerializer):
    """One day of an account's usage (one per account and day)."""

    class Meta:
        model = UsageSnapshot
        fields = ["id", "customer", "taken_on", "active_users", "api_requests", "tokens_used", "features_used"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and "customer" in self.fields:
            scoped_queryset(self.fields["customer"], visible_to(Customer.objects.all(), request.user))
