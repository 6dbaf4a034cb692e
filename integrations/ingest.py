"""Ingestion: feedback items in the unified format (seed 002), stored idempotently, then queued for triage.

One call takes one item or a batch (up to ``MAX_BATCH``) and answers, per item, ``created``, ``updated`` or
``rejected`` with the reasons by field. The API (``integrations.api.views.IngestView``), webhooks and connectors all
come through ``ingest_items``.

- Validation: ``IngestItemSerializer``, one item at a time; a bad item is rejected alone, the others go on.
- Customers: matched in bulk (``customers.selectors.match_customers``): by CRM id, else the domain the item names,
  else its reporter's e-mail domain (then that domain's parents: ``eu.acme.com`` → ``acme.com``). No match leaves
  the item without a customer, in product ops' "Needs a customer" queue (``integrations.role_views``).
- Storage: one ``INSERT … ON CONFLICT (source, source_id) DO UPDATE … RETURNING id, (xmax = 0)`` for the batch,
  rows in key order (concurrent batches lock rows in the same order). A retried or concurrent delivery updates the
  row; PostgreSQL makes exactly one of them the insert. On an update the source's facts are replaced (when, words,
  links, payload; a blank does not erase them) but what the hub decided is kept: a category, product, severity,
  priority, sentiment score, summary or customer already set stays, tags are added to; changed words send the item
  back to triage. Free-mail domains (gmail.com…) never name a customer.
- Triage queue: in the same transaction each item gets a ``PendingTriage`` row (an outbox); after the commit the
  ids go to ``feedback.tasks.triage_items`` and the rows are deleted. With the broker down the items stay stored
  and their rows stay; ``send_pending_triage`` (every minute, ``integrations.tasks``) sends them later.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import OperationalError, connection, transaction
from django.utils import timezone
from rest_framework import serializers

from customers.selectors import match_customers
from feedback import maturity
from feedback.choices import Sentiment, Status
from feedback.models import FeedbackItem
from feedback.services import mark_rollups_stale
from integrations.api.serializers import IngestItemSerializer
from integrations.models import PendingTriage

log = logging.getLogger(__name__)

MAX_BATCH = 1_000
CREATED, UPDATED, REJECTED = "created", "updated", "rejected"
STATES = (CREATED, UPDATED, REJECTED)
BY_CRM_ID, BY_DOMAIN, BY_EMAIL_DOMAIN = "crm_id", "customer_domain", "reporter_email"
KEPT = "kept"  # an update of an item that already had its customer (matched earlier, or assigned by product ops)
DEADLOCK_RETRIES = 3  # a batch that deadlocks with another writer (theme rollup flags) is tried again
BROKER_BACKOFF = 30.0  # seconds: after a failed send, sends wait this long (each would stall on the broker's timeout)
# Mail hosts anyone can sign up with: their domain says nothing about the sender's company.
FREE_MAIL = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "msn.com",
        "yahoo.com",
        "icloud.com",
        "me.com",
        "aol.com",
        "proton.me",
        "protonmail.com",
        "gmx.com",
        "gmx.de",
        "web.de",
        "mail.com",
        "yandex.com",
        "qq.com",
        "163.com",
    }
)
SWEEP_AFTER = timedelta(minutes=1)  # pending rows younger than this belong to a send still in flight
SWEEP_CHUNK = 500  # ids per triage message the sweep sends
SWEEP_CHUNKS = 40  # messages per sweep at most (20,000 items); the next minute's sweep sends the rest

# A set of rows as JSON, one statement: validation made every value storable (types, lengths, no NUL).
UPSERT_SQL = """
INSERT INTO {table} AS f (
    received_at, source, source_id, source_url, verbatim, summary, reporter_email, customer_id, category, product,
    product_area, severity, priority, sentiment_score, sentiment_label, tags, status, raw_payload, created_at,
    updated_at, language, churn_signal, competitors, jtbd, human_fields, feature, tenure_days, time_maturity,
    feature_uses, usage_maturity
)
SELECT
    r.received_at, r.source, r.source_id, r.source_url, r.verbatim, r.summary, r.reporter_email, r.customer_id,
    r.category, r.product, r.product_area, r.severity, r.priority, r.sentiment_score, r.sentiment_label,
    ARRAY(SELECT jsonb_array_elements_text(r.tags))::varchar(50)[], %s, r.raw_payload, now(), now(),
    '', false, '{{}}', '', '{{}}', r.feature, r.tenure_days, r.time_maturity, r.feature_uses, r.usage_maturity
FROM jsonb_to_recordset(%s::jsonb) AS r(
    received_at timestamptz, source text, source_id text, source_url text, verbatim text, summary text,
    reporter_email text, customer_id bigint, category text, product text, product_area text, severity text,
    priority text, sentiment_score double precision, sentiment_label text, tags jsonb, raw_payload jsonb,
    feature text, tenure_days integer, time_maturity text, feature_uses integer, usage_maturity text
)
ORDER BY r.source, r.source_id
ON CONFLICT ON CONSTRAINT feedback_unique_source_item DO UPDATE SET
    received_at = EXCLUDED.received_at,
    verbatim = EXCLUDED.verbatim,
    source_url = COALESCE(NULLIF(EXCLUDED.source_url, ''), f.source_url),
    reporter_email = COALESCE(NULLIF(EXCLUDED.reporter_email, ''), f.reporter_email),
    raw_payload = COALESCE(NULLIF(EXCLUDED.raw_payload, jsonb_build_object()), f.raw_payload),
    summary = CASE WHEN f.summary = '' THEN EXCLUDED.summary ELSE f.summary END,
    customer_id = COALESCE(f.customer_id, EXCLUDED.customer_id),
    category = CASE WHEN f.category = '' THEN EXCLUDED.category ELSE f.category END,
    product = CASE WHEN f.product = '' THEN EXCLUDED.product ELSE f.product END,
    product_area = CASE WHEN f.product_area = '' THEN EXCLUDED.product_area ELSE f.product_area END,
    severity = CASE WHEN f.severity = '' THEN EXCLUDED.severity ELSE f.severity END,
    priority = CASE WHEN f.priority = '' THEN EXCLUDED.priority ELSE f.priority END,
    sentiment_score = COALESCE(f.sentiment_score, EXCLUDED.sentiment_score),
    sentiment_label = CASE WHEN f.sentiment_score IS NULL THEN EXCLUDED.sentiment_label ELSE f.sentiment_label END,
    tags = f.tags || ARRAY(SELECT t FROM unnest(EXCLUDED.tags) AS t WHERE t <> ALL (f.tags)),
    triaged_at = CASE WHEN f.verbatim = EXCLUDED.verbatim THEN f.triaged_at END,
    feature = COALESCE(NULLIF(EXCLUDED.feature, ''), f.feature),
    tenure_days = CASE WHEN {same_customer} THEN EXCLUDED.tenure_days ELSE f.tenure_days END,
    time_maturity = CASE WHEN {same_customer} THEN EXCLUDED.time_maturity ELSE f.time_maturity END,
    feature_uses = CASE WHEN {same_customer} AND {same_feature} THEN EXCLUDED.feature_uses ELSE f.feature_uses END,
    usage_maturity = CASE WHEN {same_customer} AND {same_feature} THEN EXCLUDED.usage_maturity
        ELSE f.usage_maturity END,
    updated_at = now()
RETURNING f.id, f.source, f.source_id, f.customer_id, (f.xmax = 0) AS created
"""
# On a re-delivery the maturity stamped for this delivery (its date, the customer it names, its feature) replaces the
# stored one, unless the item kept another customer (then the delivery's stamp is about someone else), or, for the
# usage, the delivery names no feature and the item has one.
SAME_CUSTOMER = "(f.customer_id IS NULL OR f.customer_id = EXCLUDED.customer_id)"
SAME_FEATURE = "(EXCLUDED.feature <> '' OR f.feature = '')"
PENDING_SQL = """
INSERT INTO {table} (item_id, queued_at) SELECT id, now() FROM unnest(%s::bigint[]) AS id ORDER BY id
ON CONFLICT (item_id) DO NOTHING
"""


@dataclass
class ItemResult:
    """What became of one item of a request: created, updated or rejected (with the reasons, by field)."""

    index: int
    status: str
    source: str = ""
    source_id: str = ""
    id: int | None = None
    customer: int | None = None
    matched_by: str | None = None  # crm_id, customer_domain, reporter_email, kept; None: no customer (ops' queue)
    errors: dict[str, list[str]] = field(default_factory=dict)

    def as_dict(self) -> dict:
        """The item's line in the API's answer."""
        answer = {"index": self.index, "status": self.status, "source": self.source, "source_id": self.source_id}
        if self.status == REJECTED:
            answer["errors"] = self.errors
            answer["reason"] = "; ".join(f"{name}: {' '.join(messages)}" for name, messages in self.errors.items())
        else:
            answer.update(id=self.id, customer=self.customer, matched_by=self.matched_by)
        return answer


def ingest_items(*, items: Sequence[object], received_via: str) -> list[ItemResult]:
    """Validate, match, upsert and queue ``items``; one result per item, in order. ``received_via`` names the door.

    The accepted items are written in one transaction per ``MAX_BATCH`` (all or none: a database error rolls them
    back and raises) and queued for triage only after it commits. Rejected items are never written.
    """
    results: list[ItemResult | None] = [None] * len(items)
    rows = _match_customers(_validate(items, results))
    for start in range(0, len(rows), MAX_BATCH):  # the API sends one chunk at most; a connector's backfill more
        _store(rows[start : start + MAX_BATCH], results)
    rejected = sum(1 for result in results if result.status == REJECTED)
    if rejected:
        log.info("Ingest via %s: %s of %s item(s) rejected.", received_via, rejected, len(items))
    return results


def _validate(items: Sequence[object], results: list) -> dict[tuple[str, str], tuple[int, dict]]:
    """The valid items by (source, source_id); a key sent twice keeps its last item and rejects the earlier one."""
    serializer = IngestItemSerializer()  # one instance for the batch: its fields are built once
    accepted: dict[tuple[str, str], tuple[int, dict]] = {}
    for index, raw in enumerate(items):
        try:
            data = serializer.run_validation(raw)
        except serializers.ValidationError as error:
            results[index] = _rejected(index, raw, error_paths(error.detail))
            continue
        key = (data["source"], data["source_id"])
        if key in accepted:
            earlier = accepted[key][0]
            results[earlier] = _rejected(
                earlier,
                items[earlier],
                {"source_id": [f"Sent again later in this request (items[{index}]): that one is stored instead."]},
            )
        accepted[key] = (index, data)
    return accepted


def _rejected(index: int, raw: object, errors: dict[str, list[str]]) -> ItemResult:
    source, source_id = (raw.get("source"), raw.get("source_id")) if isinstance(raw, Mapping) else ("", "")
    return ItemResult(
        index=index,
        status=REJECTED,
        source=source if isinstance(source, str) else "",
        source_id=str(source_id) if isinstance(source_id, str | int) and not isinstance(source_id, bool) else "",
        errors=errors,
    )


def error_paths(detail, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as ``{"tags[2]": ["…"]}``: every message under the path of its field."""
    if isinstance(detail, Mapping):
        flat: dict[str, list[str]] = {}
        for key, value in detail.items():
            name = f"{prefix}[{key}]" if isinstance(key, int) else (f"{prefix}.{key}" if prefix else str(key))
            for path, messages in error_paths(value, name).items():
                flat.setdefault(path, []).extend(messages)
        return flat
    if isinstance(detail, list) and detail and all(isinstance(part, Mapping | list) for part in detail):
        flat = {}
        for position, value in enumerate(detail):
            for path, messages in error_paths(value, f"{prefix}[{position}]").items():
                flat.setdefault(path, []).extend(messages)
        return flat
    messages = detail if isinstance(detail, list) else [detail]
    return {prefix or "non_field_errors": [str(message) for message in messages]}


def candidate_domains(data: dict) -> list[tuple[str, str]]:
    """The domains that may name the item's customer, most specific first, each with how it was found."""
    found = []
    if domain := data.get("customer_domain"):
        found.append((domain, BY_DOMAIN))
    email = data.get("reporter_email") or ""
    if "@" in email and (host := email.rsplit("@", 1)[1].lower().strip(".")) not in FREE_MAIL:
        labels = host.split(".")
        found += [(".".join(labels[start:]), BY_EMAIL_DOMAIN) for start in range(len(labels) - 1)]
    return found


def _match_customers(accepted: dict[tuple[str, str], tuple[int, dict]]) -> list[tuple[int, dict]]:
    """The accepted items in key order, each with ``customer_id`` and ``matched_by`` (two queries for them all)."""
    ordered = [accepted[key] for key in sorted(accepted)]
    matches = match_customers(
        crm_ids={data.get("customer_crm_id", "") for _, data in ordered},
        domains={domain for _, data in ordered for domain, _ in candidate_domains(data)},
    )
    for _, data in ordered:
        data["customer_id"], data["matched_by"] = None, None
        if (crm_id := data.get("customer_crm_id")) and crm_id in matches.by_crm_id:
            data["customer_id"], data["matched_by"] = matches.by_crm_id[crm_id], BY_CRM_ID
            continue
        for domain, how in candidate_domains(data):
            if domain in matches.by_domain:
                data["customer_id"], data["matched_by"] = matches.by_domain[domain], how
                break
    return ordered


def _sentiment_label(score: float | None) -> str:
    """The label a score carries (``Sentiment.for_score``, the rule ``feedback.services.apply_sentiment`` applies)."""
    return Sentiment.for_score(score) if score is not None else ""


def _row(data: dict) -> dict:
    """An item as one JSON row of ``UPSERT_SQL`` (absent text fields are blank, as the columns' defaults are)."""
    return {
        "received_at": data["received_at"].isoformat(),
        "source": data["source"],
        "source_id": data["source_id"],
        "source_url": data.get("source_url", ""),
        "verbatim": data["verbatim"],
        "summary": data.get("summary", ""),
        "reporter_email": data.get("reporter_email", ""),
        "customer_id": data["customer_id"],
        "category": data.get("category", ""),
        "product": data.get("product", ""),
        "product_area": data.get("product_area", ""),
        "severity": data.get("severity", ""),
        "priority": data.get("priority", ""),
        "sentiment_score": data.get("sentiment_score"),
        "sentiment_label": _sentiment_label(data.get("sentiment_score")),  # the score's label, stored with it
        "tags": data.get("tags", []),
        "raw_payload": data.get("raw_payload", {}),
        "feature": data.get("feature", ""),
        **data["maturity"],
    }


def _store(rows: list[tuple[int, dict]], results: list) -> None:
    """Upsert ``rows`` and record them for triage in one transaction; queue them once it commits."""
    stamps = maturity.stamp_many(
        [(data["customer_id"], data.get("feature", ""), data["received_at"]) for _, data in rows]
    )
    for (_, data), stamp in zip(rows, stamps, strict=True):
        data["maturity"] = stamp  # the batch's maturity, one query for all its customers (feedback.maturity)
    payload = json.dumps([_row(data) for _, data in rows], default=str)
    upsert = UPSERT_SQL.format(
        table=connection.ops.quote_name(FeedbackItem._meta.db_table),
        same_customer=SAME_CUSTOMER,
        same_feature=SAME_FEATURE,
    )
    pending = PENDING_SQL.format(table=connection.ops.quote_name(PendingTriage._meta.db_table))
    for attempt in range(DEADLOCK_RETRIES):
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute(upsert, [Status.NEW.value, payload])
                    stored = {(row[1], row[2]): (row[0], row[3], row[4]) for row in cursor.fetchall()}
                    ids = sorted(pk for pk, _, _ in stored.values())
                    cursor.execute(pending, [ids])
                updated = [pk for pk, _, created in stored.values() if not created]
                if updated:
                    mark_rollups_stale(item_ids=updated)  # a customer filled in changes its themes' rollups
                transaction.on_commit(lambda ids=ids: queue_triage(item_ids=ids))
            break
        except OperationalError as error:
            if getattr(error.__cause__, "sqlstate", None) != "40P01" or attempt == DEADLOCK_RETRIES - 1:
                raise
            log.warning("Ingest batch deadlocked with another writer; trying again (%s).", attempt + 1)
    for index, data in rows:
        pk, customer, created = stored[(data["source"], data["source_id"])]
        results[index] = ItemResult(
            index=index,
            status=CREATED if created else UPDATED,
            source=data["source"],
            source_id=data["source_id"],
            id=pk,
            customer=customer,
            matched_by=None if customer is None else data["matched_by"] if customer == data["customer_id"] else KEPT,
        )


# --- the triage queue ----------------------------------------------------------------------------------------------

_broker_retry_at = 0.0  # monotonic time before which sends are not tried (the broker failed just now)


def queue_triage(*, item_ids: list[int]) -> bool:
    """Send ``item_ids`` to ``feedback.tasks.triage_items`` and forget their pending rows; False if it failed.

    A failure (the broker is down) is logged and leaves the rows for ``send_pending_triage``: the items are stored
    whatever happens here. After a failure, sends skip the broker for ``BROKER_BACKOFF`` seconds.
    """
    global _broker_retry_at
    if not item_ids:
        return True
    if time.monotonic() < _broker_retry_at:
        log.info("Broker down a moment ago: %s item(s) left for the triage sweep.", len(item_ids))
        return False
    try:
        publish_triage(item_ids)
    except Exception:  # noqa: BLE001 - the items are committed; the sweep sends them when the broker is back
        _broker_retry_at = time.monotonic() + BROKER_BACKOFF
        log.warning("Could not queue %s item(s) for triage; the sweep will.", len(item_ids), exc_info=True)
        return False
    try:
        PendingTriage.objects.filter(item_id__in=item_ids).delete()
    except Exception:  # noqa: BLE001 - sent already; at worst the sweep sends them again (triage is idempotent)
        log.warning("Could not clear the pending triage rows of %s item(s).", len(item_ids), exc_info=True)
    return True


def publish_triage(item_ids: list[int]) -> None:
    """One ``triage_items`` message, on a connection that gives up at once when the broker does not answer."""
    from feedback.tasks import triage_items

    with triage_items.app.connection_for_write() as broker:
        broker.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=5)
        triage_items.apply_async((item_ids,), connection=broker, retry=False)


def send_pending_triage() -> int:
    """Send the items whose triage message never left (broker down, process killed); how many were sent."""
    global _broker_retry_at
    _broker_retry_at = 0.0  # the sweep always tries: it is how the queue heals
    cutoff = timezone.now() - SWEEP_AFTER
    sent, after = 0, 0
    for _ in range(SWEEP_CHUNKS):
        ids = list(
            PendingTriage.objects.filter(queued_at__lt=cutoff, item_id__gt=after)
            .order_by("item_id")
            .values_list("item_id", flat=True)[:SWEEP_CHUNK]
        )
        if not ids or not queue_triage(item_ids=ids):
            break
        sent, after = sent + len(ids), ids[-1]
    return sent
