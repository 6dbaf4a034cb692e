"""Reads of customers that carry a rule: which accounts a person may see."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from feedbackhub.roles import LEADERSHIP, PRODUCT_OPS, SALES_CS

WHOLE_BOOK_ROLES = (PRODUCT_OPS, LEADERSHIP)  # roles that see every account, whatever else they are


def sees_own_accounts_only(user) -> bool:
    """True for sales/CS people (and no whole-book role): they see the accounts they own, nothing else."""
    if not user.is_active or user.is_superuser:
        return False
    names = getattr(user, "_role_names", None)
    if names is None:  # once per request: the user object lives as long as the request
        names = user._role_names = set(user.groups.values_list("name", flat=True))
    return SALES_CS in names and not names & set(WHOLE_BOOK_ROLES)


def account_scope(user, *, prefix: str = "") -> Q:
    """The condition on customers (reached through ``prefix``, e.g. ``"customer__"``) that ``user`` may see."""
    if sees_own_accounts_only(user):
        return Q(**{f"{prefix}account_owner": user})
    return Q()


def visible_to(queryset: QuerySet, user, *, prefix: str = "") -> QuerySet:
    """``queryset`` narrowed to the accounts ``user`` may see (customers, or rows reaching them via ``prefix``)."""
    return queryset.filter(account_scope(user, prefix=prefix))
