"""Changelist filters that carry a customer rule."""

from __future__ import annotations

from django.contrib import admin

from customers import cohorts
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


class CohortFilter(admin.SimpleListFilter):
    """Seed 001's "Who to Ask, When" cohorts (``customers.cohorts``); each is also a shared saved view."""

    title = "cohort"
    parameter_name = "cohort"

    def lookups(self, request, model_admin):
        return [(cohort.key, cohort.label) for cohort in cohorts.COHORTS]

    def queryset(self, request, queryset):
        if self.value() in cohorts.BY_KEY:
            return queryset.filter(cohorts.cohort_q(self.value()))
        return queryset


class HeavyFeatureFilter(admin.SimpleListFilter):
    """Heavy users of one feature (the features some account is a heavy user of, ``customers.usage``)."""

    title = "heavy user of"
    parameter_name = "heavy_feature"

    def lookups(self, request, model_admin):
        return [(feature, feature.replace("_", " ")) for feature in cohorts.heavy_features()]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(cohorts.heavy_users_of(self.value()))
        return queryset
