"""Changelist filters that carry a customer rule."""

from __future__ import annotations

from django.contrib import admin

from customers.rules import at_risk_q


class AtRiskFilter(admin.SimpleListFilter):
    """At-risk accounts by the one rule of ``customers.rules`` (flagged at risk, or live with low health)."""

    title = "at risk"
    parameter_name = "at_risk"

    def lookups(self, request, model_admin):
        return [("yes", "At risk"), ("no", "Not at risk")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(at_risk_q())
        if self.value() == "no":
            return queryset.exclude(at_risk_q())
        return queryset
