"""The "Segment: community" filter of the feedback admin: what people said in public communities (Hacker News,
Discourse — ``feedback.choices.COMMUNITY_SOURCES``) and who said it, a customer or not.

Community authors are the "community" segment until a person matches one to a customer
(``integrations.community.match_author``); the filter shows that segment, the community items already matched to a
customer, or everything but the community (the customers' own voice). It lives in ``feedback`` because the feedback
admin uses it and ``feedback`` may not import ``integrations``.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Q

from feedback.choices import COMMUNITY_SOURCES

COMMUNITY = Q(source__in=COMMUNITY_SOURCES)
CHOICES = {
    "community": ("Community (no customer)", COMMUNITY & Q(customer__isnull=True)),
    "community_matched": ("Community, matched to a customer", COMMUNITY & Q(customer__isnull=False)),
    "not_community": ("Not from a community", ~COMMUNITY),
}


class CommunitySegmentFilter(admin.SimpleListFilter):
    """Segment: community (public posts by people not matched to a customer), matched, or the rest."""

    title = "segment"
    parameter_name = "segment"

    def lookups(self, request, model_admin):
        return [(value, label) for value, (label, _) in CHOICES.items()]

    def queryset(self, request, queryset):
        if self.value() in CHOICES:
            return queryset.filter(CHOICES[self.value()][1])
        return queryset
