"""Reads of customers that carry a rule: which accounts a person may see, which account a message comes from."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.db.models.functions import Lower

from customers.models import Customer
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


@dataclass(frozen=True)
class CustomerMatches:
    """Account ids by CRM id (exact) and by domain (lower case), for matching many incoming items at once."""

    by_crm_id: dict[str, int]
    by_domain: dict[str, int]


def match_customers(*, crm_ids: Iterable[str], domains: Iterable[str]) -> CustomerMatches:
    """The accounts these CRM ids and domains name: one query for all CRM ids, one for all domains (lower case).

    CRM ids compare exactly (Salesforce ids differ by case); domains ignore case, as ``customer_by_key`` does.
    """
    crm_ids, domains = {c for c in crm_ids if c}, {d.lower() for d in domains if d}
    by_crm_id = dict(Customer.objects.filter(crm_id__in=crm_ids).values_list("crm_id", "pk")) if crm_ids else {}
    by_domain = (
        dict(Customer.objects.annotate(key=Lower("domain")).filter(key__in=domains).values_list("key", "pk"))
        if domains
        else {}
    )
    return CustomerMatches(by_crm_id=by_crm_id, by_domain=by_domain)
