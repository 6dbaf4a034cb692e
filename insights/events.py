"""Product events intake (issue 11; seed 004 "Journey Surveys" triggers and "Metrics Tracker"): what customers did
in the product, stored once, announced to whoever acts on it.

Every door comes through ``record_events`` (the API today; an import or a connector later):

- **Validation**: ``ProductEventSerializer`` per event; a bad one is rejected alone, with its reasons by field.
- **Account**: named by hub id, CRM id or domain, matched with ``customers.selectors.match_customers`` (the lookup
  the ingestion and the survey answers use; two queries for a whole batch). An event of no known account is
  rejected: it cannot be counted for anyone.
- **Idempotency**: ``event_id`` is the key, unique across every product. One ``INSERT … ON CONFLICT (event_id) DO
  NOTHING`` per batch; an event already stored, or sent twice in one request, is a *duplicate* (with the stored
  row's id), never counted twice, when it is the same event: the same account and name (its other fields may differ:
  the first arrival stands). An id already used by another account's event, or by an event of another name, is
  *rejected* for that item ("event_id already used by another event"), telling nothing of the other row. A batch
  of new events costs no lookup of stored ones. Rows go in ``event_id`` order, so two batches sharing ids wait for
  each other instead of deadlocking.
- **Announcement**: the new rows' ids go out as the domain event ``product_events.recorded`` (``feedbackhub.events``)
  in the same transaction, processed after it commits; journey surveys subscribe to it. Duplicates are not
  announced again: their first arrival was.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from django.db import connection, transaction
from rest_framework import serializers

from customers.models import Customer
from customers.selectors import match_customers
from feedbackhub import events as domain_events
from insights.api.event_serializers import ProductEventSerializer
from insights.models import ProductEvent
from integrations.ingest import error_paths

MAX_BATCH = 1_000
CREATED, DUPLICATE, REJECTED = "created", "duplicate", "rejected"
STATES = (CREATED, DUPLICATE, REJECTED)
CONFLICT = (
    "event_id already used by another event (another account's, or another name): event ids are unique across "
    "every product sending events, so prefix yours (e.g. with the product's name)."
)
RECORDED = "product_events.recorded"  # payload: {"ids": [...], "names": [...]} of the rows a batch added

INSERT_SQL = """
INSERT INTO {table} (event_id, name, customer_id, contact, persona, occurred_at, properties)
SELECT x.event_id, x.name, x.customer_id, x.contact, x.persona, x.occurred_at, x.properties
FROM jsonb_to_recordset(%s::jsonb) AS x(
    event_id text, name text, customer_id bigint, contact text, persona text, occurred_at timestamptz, properties jsonb
)
ORDER BY x.event_id
ON CONFLICT (event_id) DO NOTHING
RETURNING id, event_id
"""


@dataclass
class EventResult:
    """What became of one event of a request: created, duplicate or rejected (with the reasons, by field)."""

    index: int
    status: str
    event_id: str = ""
    id: int | None = None
    customer: int | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)

    def as_dict(self) -> dict:
        """The event's line in the API's reply."""
        line = {"index": self.index, "status": self.status, "event_id": self.event_id}
        if self.status == REJECTED:
            line["errors"] = self.errors
            line["reason"] = "; ".join(f"{name}: {' '.join(messages)}" for name, messages in self.errors.items())
        else:
            line.update(id=self.id, customer=self.customer)
        return line


def record_events(*, items: Sequence[object]) -> list[EventResult]:
    """Validate, match and store ``items`` (product events); one result per item, in the order sent.

    The new rows and their announcement commit together (a database error rolls both back and raises).
    """
    results: list[EventResult | None] = [None] * len(items)
    valid: list[tuple[int, dict]] = []
    checker = ProductEventSerializer()
    for index, raw in enumerate(items):
        try:
            valid.append((index, checker.run_validation(raw)))
        except serializers.ValidationError as error:
            results[index] = _rejected(index, raw, error_paths(error.detail))
    first: dict[str, int] = {}  # event id → the index of its first valid item: that one decides
    for index, data in valid:
        first.setdefault(data["event_id"], index)
    matched = dict(_with_customers(valid, results))  # every valid item, repeats too (the same queries)
    rows = [(index, matched[index]) for index in first.values() if index in matched]
    stored = _store(rows) if rows else {}
    owners: dict[str, tuple[int, int, str]] = {}  # event id → (row id, customer id, name) of the row stored
    for index, data in rows:
        if data["event_id"] in stored:
            pk, customer = stored[data["event_id"]], data["customer_id"]
            results[index] = EventResult(
                index=index, status=CREATED, event_id=data["event_id"], id=pk, customer=customer
            )
            owners[data["event_id"]] = (pk, customer, data["name"])
    owners |= _existing({data["event_id"] for index, data in matched.items() if results[index] is None} - set(owners))
    for index, data in matched.items():
        if results[index] is not None:
            continue
        event_id = data["event_id"]
        if event_id not in owners:  # its first item was rejected (an unknown account), so nothing is stored
            results[index] = _rejected(
                index,
                items[index],
                {"event_id": [f"Sent earlier in this request (items[{first[event_id]}]), rejected there."]},
            )
        elif owners[event_id][1:] == (data["customer_id"], data["name"]):  # the same event again
            results[index] = EventResult(
                index=index, status=DUPLICATE, event_id=event_id, id=owners[event_id][0], customer=data["customer_id"]
            )
        else:  # the id names another account's event or another event: said without telling whose
            results[index] = _rejected(index, items[index], {"event_id": [CONFLICT]})
    return results


def _rejected(index: int, raw: object, errors: dict[str, list[str]]) -> EventResult:
    event_id = raw.get("event_id") if isinstance(raw, Mapping) else ""
    if isinstance(event_id, bool) or not isinstance(event_id, str | int):
        event_id = ""
    return EventResult(index=index, status=REJECTED, event_id=str(event_id), errors=errors)


def _with_customers(ordered: list[tuple[int, dict]], results: list) -> list[tuple[int, dict]]:
    """The valid events whose account is known, each with ``customer_id`` (at most three queries); the others are
    rejected in ``results``."""
    wanted = {data["customer"] for _, data in ordered if data.get("customer")}
    known = set(Customer.objects.filter(pk__in=wanted).values_list("pk", flat=True)) if wanted else set()
    matches = match_customers(
        crm_ids={data.get("customer_crm_id", "") for _, data in ordered},
        domains={data.get("customer_domain", "") for _, data in ordered},
    )
    rows = []
    for index, data in ordered:
        if data.get("customer"):
            customer_id = data["customer"] if data["customer"] in known else None
        elif data.get("customer_crm_id"):
            customer_id = matches.by_crm_id.get(data["customer_crm_id"])
        else:
            customer_id = matches.by_domain.get(data["customer_domain"].lower())
        if customer_id is None:
            field_name = next(name for name in ("customer", "customer_crm_id", "customer_domain") if data.get(name))
            results[index] = _rejected(
                index,
                data,
                {field_name: [f"No account has {field_name} “{data[field_name]}”: the hub must know the account."]},
            )
            continue
        rows.append((index, {**data, "customer_id": customer_id}))
    return rows


def _store(rows: list[tuple[int, dict]]) -> dict[str, int]:
    """Insert the rows not stored yet and announce them; the new rows' ids by event id."""
    payload = json.dumps(
        [
            {
                "event_id": data["event_id"],
                "name": data["name"],
                "customer_id": data["customer_id"],
                "contact": data.get("contact", ""),
                "persona": data.get("persona", ""),
                "occurred_at": data["occurred_at"].isoformat(),
                "properties": data.get("properties") or {},
            }
            for _, data in rows
        ],
        ensure_ascii=False,
    )
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(INSERT_SQL.format(table=connection.ops.quote_name(ProductEvent._meta.db_table)), [payload])
            stored = {event_id: pk for pk, event_id in cursor.fetchall()}
        if stored:
            ids = sorted(stored.values())
            names = sorted({data["name"] for _, data in rows if data["event_id"] in stored})
            domain_events.emit(RECORDED, key=f"{RECORDED}:{ids[0]}", ids=ids, names=names)
    return stored


def _existing(event_ids: set[str]) -> dict[str, tuple[int, int, str]]:
    """The stored rows of ``event_ids`` (the events a request repeats): (id, account, name) by event id."""
    if not event_ids:
        return {}
    rows = ProductEvent.objects.filter(event_id__in=event_ids).values_list("event_id", "pk", "customer_id", "name")
    return {event_id: (pk, customer_id, name) for event_id, pk, customer_id, name in rows}


DISTINCT_SQL = """
WITH RECURSIVE found(value) AS (
    (SELECT {column} FROM {table} WHERE {column} > '' ORDER BY {column} LIMIT 1)
    UNION ALL
    SELECT (SELECT {column} FROM {table} WHERE {column} > found.value ORDER BY {column} LIMIT 1)
    FROM found
    WHERE found.value IS NOT NULL
)
SELECT value FROM found WHERE value IS NOT NULL LIMIT %s
"""
DISTINCT_COLUMNS = ("name", "persona")  # each leads an index (product_event_name_idx, product_event_persona_idx)


def distinct_values(column: str, *, limit: int = 100) -> list[str]:
    """The different non-empty ``name``s or ``persona``s stored, in order (at most ``limit``): the admin's filters.

    A loose index scan: one index probe per value found, where ``SELECT DISTINCT`` reads every row (seconds at
    10 million events; this stays milliseconds while the values are few, as event names and personas are).
    """
    if column not in DISTINCT_COLUMNS:
        raise ValueError(f"Not one of {DISTINCT_COLUMNS}: {column!r}.")
    quote = connection.ops.quote_name
    sql = DISTINCT_SQL.format(column=quote(column), table=quote(ProductEvent._meta.db_table))
    with connection.cursor() as cursor:
        cursor.execute(sql, [limit])
        return [value for (value,) in cursor.fetchall()]
