"""Cohorts (seed 001, "Who to Ask, When"): which accounts to ask about what, each defined once as a Q on customers.

Each cohort reads figures kept on the account (``customers.usage``) or its history, never the usage snapshots, so
it filters 50,000 accounts in milliseconds. Dates are computed when the cohort is opened: a saved view of a cohort
(``?cohort=new``, data migration ``0004_cohort_views``) stays right day after day.

- ``new``: signed up in the last 14 days (``customer_since``) — to improve onboarding;
- ``usage_down``: usage (active users) down 30 % or more over 30 days (``usage_change_30d``) — to reduce churn;
- ``loyal``: customers for 12 months or more, still active: lifecycle Active or Expansion and no 14 days without
  activity (an account with no usage feed counts as active) — to understand stickiness;
- ``expanded``: ARR higher now than 90 days ago, or a higher plan (free → pro → enterprise), read from the account's
  history (``CustomerHistory``: the row as it was before each change) — to understand what unlocked new value;
- ``heavy``: a heavy user of at least one feature (``heavy_features``: more than 90 % of the accounts using that
  feature, over 30 days); ``heavy_users_of(feature)`` narrows to one feature — to improve a feature.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.apps import apps
from django.core.cache import cache
from django.db import connection
from django.db.models import Case, IntegerField, OuterRef, Q, Subquery, Value, When
from django.db.models.lookups import GreaterThan
from django.utils import timezone

from customers.choices import Lifecycle, Plan
from customers.models import Customer
from customers.usage import INACTIVE_AFTER_DAYS

NEW_DAYS = 14
USAGE_DROP_PERCENT = 30
LOYAL_DAYS = 365
EXPANDED_DAYS = 90
PLAN_RANK = {Plan.FREE: 0, Plan.PRO: 1, Plan.ENTERPRISE: 2}
FEATURES_CACHE_KEY = "customers:heavy-features"
FEATURES_CACHE_SECONDS = 3600


def signed_up_lately(today: date) -> Q:  # each rule takes the day the cohort is opened
    return Q(customer_since__gte=today - timedelta(days=NEW_DAYS), customer_since__lte=today)


def usage_down(today: date) -> Q:
    return Q(usage_change_30d__lte=-USAGE_DROP_PERCENT)


def loyal(today: date) -> Q:
    active_lately = Q(last_active_on__isnull=True) | Q(last_active_on__gte=today - timedelta(days=INACTIVE_AFTER_DAYS))
    return (
        Q(customer_since__lte=today - timedelta(days=LOYAL_DAYS))
        & Q(lifecycle_stage__in=[Lifecycle.ACTIVE, Lifecycle.EXPANSION])
        & active_lately
    )


def _plan_rank(field: str) -> Case:
    return Case(
        *(When(**{field: plan}, then=Value(rank)) for plan, rank in PLAN_RANK.items()),
        output_field=IntegerField(),
    )


def expanded(today: date) -> Q:
    """ARR or plan higher now than before the first change of the last 90 days (no change since: not expanded)."""
    history = apps.get_model("customers", "CustomerHistory")  # pghistory: the row as it was before each change
    since = timezone.make_aware(datetime.combine(today - timedelta(days=EXPANDED_DAYS), datetime.min.time()))
    first_change = history.objects.filter(pgh_obj=OuterRef("pk"), pgh_created_at__gte=since).order_by(
        "pgh_created_at", "pgh_id"
    )
    arr_then = Subquery(first_change.values("arr")[:1])
    plan_then = Subquery(first_change.annotate(rank=_plan_rank("plan")).values("rank")[:1])
    return Q(arr__gt=arr_then) | Q(GreaterThan(_plan_rank("plan"), plan_then))


def heavy(today: date) -> Q:
    return ~Q(heavy_features=[])


def heavy_users_of(feature: str) -> Q:
    """Heavy users of one feature (the GIN index on ``heavy_features`` serves it)."""
    return Q(heavy_features__contains=[feature])


def heavy_features() -> list[str]:
    """The features some account is a heavy user of, by name (for the filter's choices; cached for an hour)."""
    features = cache.get(FEATURES_CACHE_KEY)
    if features is None:
        table = connection.ops.quote_name(Customer._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT DISTINCT unnest(heavy_features) AS f FROM {table} WHERE heavy_features <> '{{}}' ORDER BY f"
            )
            features = [row[0] for row in cursor.fetchall()]
        cache.set(FEATURES_CACHE_KEY, features, FEATURES_CACHE_SECONDS)
    return features


@dataclass(frozen=True)
class Cohort:
    """A cohort: its key in URLs (``?cohort=``), its label, why CS asks it, and its rule."""

    key: str
    label: str
    ask_to: str
    rule: Callable[[date], Q]


COHORTS = (
    Cohort("new", "Signed up in the last 14 days", "improve onboarding", signed_up_lately),
    Cohort("usage_down", "Usage down 30 %+ in 30 days", "reduce churn", usage_down),
    Cohort("loyal", "12+ months, still active", "understand stickiness", loyal),
    Cohort("expanded", "Recently expanded (ARR or plan up, 90 days)", "expand use cases", expanded),
    Cohort("heavy", "Heavy users of a feature", "improve a feature", heavy),
)
BY_KEY = {cohort.key: cohort for cohort in COHORTS}


def cohort_q(key: str, *, today: date | None = None) -> Q:
    """The condition of cohort ``key`` (KeyError for an unknown one)."""
    return BY_KEY[key].rule(today or timezone.localdate())
