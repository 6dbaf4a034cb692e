"""Technical metrics intake (issue 11 part 6; seed 003 "correlate customer feedback with technical performance
metrics including response times, error rates"): requests, errors and latency per account and product per period.

Every door comes through ``record_samples``: the API (``POST /api/technical-metrics/``), the CSV import and the
Prometheus text file import (``manage.py import_technical_metrics``, parsed by ``insights.technical_files``).

- **Validation**: ``TechnicalSampleSerializer`` per sample; a bad one is rejected alone, with its reasons by field.
- **Account**: hub id, CRM id or domain, matched with ``customers.selectors.match_customers`` (two queries for a
  whole batch); none given means all customers of the product (``customer`` empty). An unknown account is rejected.
- **Idempotent upsert**: ``(customer, product, period_start)`` is unique (NULLS NOT DISTINCT, so the all-customers
  row too). One ``INSERT … ON CONFLICT … DO UPDATE … WHERE the figures differ`` per batch: a new period is
  *created*, a period sent again with other figures is *updated* (the last sent wins: monitoring systems correct
  late data), the same figures again are *unchanged* (nothing written). Two samples of one key in one request are
  ambiguous: the second is rejected, naming the first. Rows go in key order, so two overlapping batches wait for
  each other instead of deadlocking.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from django.db import connection, transaction
from rest_framework import serializers

from customers.models import Customer
from customers.selectors import match_customers
from insights.api.technical_serializers import ACCOUNT_FIELDS, TechnicalSampleSerializer
from insights.choices import SampleSource
from insights.models import TechnicalSample
from integrations.ingest import error_paths

MAX_BATCH = 1_000
CREATED, UPDATED, UNCHANGED, REJECTED = "created", "updated", "unchanged", "rejected"
STATES = (CREATED, UPDATED, UNCHANGED, REJECTED)
FIGURES = ("period_end", "requests", "errors", "latency_p50_ms", "latency_p95_ms")

UPSERT_SQL = """
INSERT INTO {table} AS t
    (customer_id, product, period_start, period_end, requests, errors, latency_p50_ms, latency_p95_ms, source)
SELECT x.customer_id, x.product, x.period_start, x.period_end, x.requests, x.errors, x.latency_p50_ms,
       x.latency_p95_ms, x.source
FROM jsonb_to_recordset(%s::jsonb) AS x(
    customer_id bigint, product text, period_start timestamptz, period_end timestamptz, requests bigint,
    errors bigint, latency_p50_ms double precision, latency_p95_ms double precision, source text
)
ORDER BY x.customer_id NULLS FIRST, x.product, x.period_start
ON CONFLICT ON CONSTRAINT technical_sample_unique_period DO UPDATE
SET period_end = EXCLUDED.period_end, requests = EXCLUDED.requests, errors = EXCLUDED.errors,
    latency_p50_ms = EXCLUDED.latency_p50_ms, latency_p95_ms = EXCLUDED.latency_p95_ms, source = EXCLUDED.source,
    received_at = now()
WHERE (t.period_end, t.requests, t.errors, t.latency_p50_ms, t.latency_p95_ms, t.source)
      IS DISTINCT FROM
      (EXCLUDED.period_end, EXCLUDED.requests, EXCLUDED.errors, EXCLUDED.latency_p50_ms, EXCLUDED.latency_p95_ms,
       EXCLUDED.source)
RETURNING t.id, t.customer_id, t.product, t.period_start, (t.xmax = 0) AS inserted
"""


@dataclass
class SampleResult:
    """What became of one sample: created, updated, unchanged or rejected (with its reasons, by field).

    ``line`` is the file line it came from (imports), for the messages; the API leaves it empty.
    """

    index: int
    status: str
    product: str = ""
    period_start: str = ""
    id: int | None = None
    customer: int | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)
    line: str = ""

    @property
    def reason(self) -> str:
        return "; ".join(f"{name}: {' '.join(messages)}" for name, messages in self.errors.items())

    def as_dict(self) -> dict:
        """The sample's line in the API's reply."""
        line = {"index": self.index, "status": self.status, "product": self.product, "period_start": self.period_start}
        if self.status == REJECTED:
            line["errors"] = self.errors
            line["reason"] = self.reason
        else:
            line.update(id=self.id, customer=self.customer)
        return line


def record_samples(
    *, items: Sequence[object], source: str = SampleSource.API, lines: Sequence[str] | None = None, write: bool = True
) -> list[SampleResult]:
    """Validate, match and upsert ``items``; one result per item, in the order sent.

    ``lines`` names where each item came from (an import's "line 12"); ``write=False`` checks without writing (an
    import's dry run: the accepted ones come back ``created``, nothing is stored). One transaction for the batch.
    """
    if source not in SampleSource.values:
        raise ValueError(f"Unknown source {source!r}.")
    results: list[SampleResult | None] = [None] * len(items)
    checker = TechnicalSampleSerializer()
    valid: list[tuple[int, dict]] = []
    for index, raw in enumerate(items):
        try:
            valid.append((index, checker.run_validation(raw)))
        except serializers.ValidationError as error:
            results[index] = _rejected(index, raw, error_paths(error.detail))
    rows = _with_customers(valid, results)
    first: dict[tuple, int] = {}
    unique: list[tuple[int, dict]] = []
    for index, data in rows:
        key = (data["customer_id"], data["product"], data["period_start"])
        if key in first:
            where = lines[first[key]] if lines else f"items[{first[key]}]"
            results[index] = _rejected(
                index, data, {"period_start": [f"Same account, product and period_start as {where}: send it once."]}
            )
        else:
            first[key] = index
            unique.append((index, data))
    written = _upsert(unique, source) if unique and write else {}
    stored = _stored([data for index, data in unique if _key(data) not in written]) if write else {}
    for index, data in unique:
        key = _key(data)
        if not write:
            pk, status = None, CREATED
        elif key in written:
            pk, status = written[key]
        else:
            pk, status = stored.get(key), UNCHANGED
        results[index] = SampleResult(
            index=index,
            status=status,
            product=data["product"],
            period_start=data["period_start"].isoformat(),
            id=pk,
            customer=data["customer_id"],
        )
    if lines:
        for result in results:
            result.line = lines[result.index]
    return results


def _key(data: dict) -> tuple:
    return (data["customer_id"], data["product"], data["period_start"])


def _rejected(index: int, raw: object, errors: dict[str, list[str]]) -> SampleResult:
    product = raw.get("product") if isinstance(raw, Mapping) else ""
    start = raw.get("period_start") if isinstance(raw, Mapping) else ""
    start = start.isoformat() if hasattr(start, "isoformat") else start
    return SampleResult(
        index=index,
        status=REJECTED,
        product=product if isinstance(product, str) else "",
        period_start=start if isinstance(start, str) else "",
        errors=errors,
    )


def _with_customers(valid: list[tuple[int, dict]], results: list) -> list[tuple[int, dict]]:
    """The valid samples whose account is known (or that name none: all customers), each with ``customer_id``."""
    wanted = {data["customer"] for _, data in valid if data.get("customer")}
    known = set(Customer.objects.filter(pk__in=wanted).values_list("pk", flat=True)) if wanted else set()
    matches = match_customers(
        crm_ids={data.get("customer_crm_id", "") for _, data in valid},
        domains={data.get("customer_domain", "") for _, data in valid},
    )
    rows = []
    for index, data in valid:
        named = next((name for name in ACCOUNT_FIELDS if data.get(name)), None)
        if named is None:
            customer_id = None
        elif named == "customer":
            customer_id = data["customer"] if data["customer"] in known else None
        elif named == "customer_crm_id":
            customer_id = matches.by_crm_id.get(data["customer_crm_id"])
        else:
            customer_id = matches.by_domain.get(data["customer_domain"].lower())
        if named is not None and customer_id is None:
            results[index] = _rejected(
                index, data, {named: [f"No account has {named} “{data[named]}”: the hub must know the account."]}
            )
            continue
        rows.append((index, {**data, "customer_id": customer_id}))
    return rows


def _upsert(rows: list[tuple[int, dict]], source: str) -> dict[tuple, tuple[int, str]]:
    """Insert new periods and update changed ones; (id, created|updated) by key of the rows written."""
    payload = json.dumps(
        [
            {
                "customer_id": data["customer_id"],
                "product": data["product"],
                "period_start": data["period_start"].isoformat(),
                "period_end": data["period_end"].isoformat(),
                "requests": data["requests"],
                "errors": data["errors"],
                "latency_p50_ms": data.get("latency_p50_ms"),
                "latency_p95_ms": data.get("latency_p95_ms"),
                "source": source,
            }
            for _, data in rows
        ]
    )
    table = connection.ops.quote_name(TechnicalSample._meta.db_table)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(UPSERT_SQL.format(table=table), [payload])
        return {
            (customer_id, product, start): (pk, CREATED if inserted else UPDATED)
            for pk, customer_id, product, start, inserted in cursor.fetchall()
        }


def _stored(rows: list[dict]) -> dict[tuple, int]:
    """The ids of rows the upsert left as they were (their figures were the same)."""
    if not rows:
        return {}
    found = {}
    products = {data["product"] for data in rows}
    starts = {data["period_start"] for data in rows}
    for pk, customer_id, product, start in TechnicalSample.objects.filter(
        product__in=products, period_start__in=starts
    ).values_list("pk", "customer_id", "product", "period_start"):
        found[(customer_id, product, start)] = pk
    return found
