"""Reads of escalations that carry a rule: which ones a person may see."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from customers.selectors import sees_own_accounts_only
from insights.models import Escalation


def visible_to(queryset: QuerySet, user) -> QuerySet:
    """``queryset`` narrowed for sales/CS people to escalations they own or that concern an account they own;
    everyone else sees them all (as with customers: ``customers.selectors``)."""
    if not sees_own_accounts_only(user):
        return queryset
    links = Escalation.customers.through.objects.filter(escalation_id=OuterRef("pk"), customer__account_owner=user)
    return queryset.filter(Q(owner=user) | Exists(links))
