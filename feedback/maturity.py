"""Feedback maturity at capture (seed 001 "Feedback Maturity: Time-Based + Usage-Based"): how long the customer had
been with us, and how many times they had used the feature, when they said it. Stored on the item, so a PM can read
a day-7 complaint ("what's confusing?") apart from a day-365 one ("what keeps them here vs. alternatives?").

Every door that creates feedback stamps it through here: ingestion (``integrations.ingest``, a batch at a time,
``stamp_many``), a person's save (``feedback.services.save_feedback``: admin form, grid, API, import), transcript
extracts (copied from their transcript), and ``manage.py stamp_maturity`` for items stored before.

- **Tenure**: days from ``Customer.customer_since`` to the day the item was received (the hub keeps no contact
  records, so the account's start is the only start known). No start date, no customer, or feedback from before the
  account started (a prospect in a trial): no tenure, no time maturity.
- **Uses**: the sum of the feature's daily counts in ``UsageSnapshot.features_used`` for the account, every day up to
  and including the day received (in-product feedback comes right after a use on that very day). No feature named,
  no customer or no recorded use: no count, no usage maturity (0 uses is not "first uses").
- **Buckets** (the seed names milestones; an item between two milestones belongs to the last one reached, so a
  bucket runs from its milestone to the day before the next):
  time d7 = day 0–29 (the seed's "day 7, first impressions" covers the first weeks: nobody has habits before day
  30), d30 = 30–59, d60 = 60–119, d120 = 120–364, d365 = 365+; usage u1 = 1st–4th use, u5 = 5th–19th, u20 =
  20th–49th, u50 = 50th and after.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime

from django.db import connection, transaction
from django.utils import timezone

from customers.models import Customer, UsageSnapshot
from feedback.choices import TimeMaturity, UsageMaturity
from feedback.models import FeedbackItem

# (first day or use of the bucket, bucket), highest first: the first milestone reached wins.
TIME_MILESTONES = (
    (365, TimeMaturity.DAY_365),
    (120, TimeMaturity.DAY_120),
    (60, TimeMaturity.DAY_60),
    (30, TimeMaturity.DAY_30),
    (0, TimeMaturity.DAY_7),
)
USAGE_MILESTONES = (
    (50, UsageMaturity.USE_50),
    (20, UsageMaturity.USE_20),
    (5, UsageMaturity.USE_5),
    (1, UsageMaturity.USE_1),
)
STAMP_FIELDS = ("tenure_days", "time_maturity", "feature_uses", "usage_maturity")

# For each (customer, feature, day) asked: the account's start, and the feature's uses up to that day. One statement
# for a whole batch; the uses are a range scan of the (customer, taken_on) unique index per distinct triple. A
# ``features_used`` value that is not a JSON number is not counted (it cannot be a count).
USES_SQL = """
SELECT r.i, c.customer_since, u.uses
FROM jsonb_to_recordset(%s::jsonb) AS r(i int, customer_id bigint, feature text, day date)
LEFT JOIN {customers} AS c ON c.id = r.customer_id
LEFT JOIN LATERAL (
    SELECT SUM(CASE WHEN jsonb_typeof(s.features_used -> r.feature) = 'number'
                    THEN (s.features_used ->> r.feature)::numeric END)::bigint AS uses
    FROM {snapshots} AS s
    WHERE r.feature <> '' AND s.customer_id = r.customer_id AND s.taken_on <= r.day
) AS u ON true
"""


def time_maturity_for(days: int | None) -> str:
    """The time bucket of ``days`` as a customer ("" when unknown or negative)."""
    if days is None or days < 0:
        return ""
    return next(bucket.value for first, bucket in TIME_MILESTONES if days >= first)


def usage_maturity_for(uses: int | None) -> str:
    """The usage bucket of the ``uses``-th use ("" when unknown or never used)."""
    if uses is None or uses < 1:
        return ""
    return next(bucket.value for first, bucket in USAGE_MILESTONES if uses >= first)


def fields_for(*, tenure_days: int | None, feature_uses: int | None) -> dict:
    """The four stored fields from a tenure and a use count (a negative tenure is no tenure)."""
    tenure = tenure_days if tenure_days is not None and tenure_days >= 0 else None
    uses = feature_uses if feature_uses else None
    return {
        "tenure_days": tenure,
        "time_maturity": time_maturity_for(tenure),
        "feature_uses": uses,
        "usage_maturity": usage_maturity_for(uses),
    }


def received_day(received_at: datetime | date) -> date:
    """The day an item was received, in the hub's time zone (usage snapshots are per day)."""
    if isinstance(received_at, datetime):
        return timezone.localdate(received_at) if timezone.is_aware(received_at) else received_at.date()
    return received_at


def stamp_many(rows: Sequence[tuple[int | None, str, datetime | date]]) -> list[dict]:
    """The maturity fields of each ``(customer id, feature, received_at)``, in order; one query for them all (none
    when no row names a customer)."""
    asked = {}
    for customer_id, feature, received_at in rows:
        if customer_id is not None:
            asked.setdefault((customer_id, (feature or "").strip(), received_day(received_at)), len(asked))
    found: dict[int, tuple[date | None, int | None]] = {}
    if asked:
        payload = json.dumps(
            [
                {"i": i, "customer_id": cid, "feature": feature, "day": day.isoformat()}
                for (cid, feature, day), i in asked.items()
            ]
        )
        sql = USES_SQL.format(
            customers=connection.ops.quote_name(Customer._meta.db_table),
            snapshots=connection.ops.quote_name(UsageSnapshot._meta.db_table),
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [payload])
            found = {i: (since, uses) for i, since, uses in cursor.fetchall()}
    stamps = []
    for customer_id, feature, received_at in rows:
        if customer_id is None:
            stamps.append(fields_for(tenure_days=None, feature_uses=None))
            continue
        day = received_day(received_at)
        since, uses = found.get(asked[(customer_id, (feature or "").strip(), day)], (None, None))
        stamps.append(fields_for(tenure_days=(day - since).days if since else None, feature_uses=uses))
    return stamps


def stamp(*, received_at: datetime | date, customer: Customer | int | None, feature: str = "") -> dict:
    """The maturity fields of one item: ``tenure_days``, ``time_maturity``, ``feature_uses``, ``usage_maturity``."""
    customer_id = customer.pk if isinstance(customer, Customer) else customer
    return stamp_many([(customer_id, feature, received_at)])[0]


def stamp_items(items: list[FeedbackItem]) -> int:
    """Stamp ``items`` (loaded with their date, customer, feature and stamp) and write those that changed; how many."""
    stamps = stamp_many([(item.customer_id, item.feature, item.received_at) for item in items])
    changed = []
    for item, fields in zip(items, stamps, strict=True):
        if any(getattr(item, name) != value for name, value in fields.items()):
            for name, value in fields.items():
                setattr(item, name, value)
            changed.append(item)
    if changed:
        with transaction.atomic():
            FeedbackItem.objects.bulk_update(changed, STAMP_FIELDS)
    return len(changed)
