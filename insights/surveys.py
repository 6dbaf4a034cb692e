"""Survey responses (seed 001 "NPS/Surveys"): NPS 0–10 and CSAT 1–5 answers, stored once, their comments heard.

Every door comes through here: the API (``record_responses``: one answer or a batch, idempotent on
``(source, external_id)``), the admin's CSV import and its form (``comments_to_feedback`` after their save).

- **Validation**: ``SurveyAnswerSerializer`` per answer; a bad one is rejected alone, with its reasons by field.
- **Account**: the answer names it by hub id, CRM id, domain, or its contact's e-mail domain (the ingestion's rule,
  ``integrations.ingest.candidate_domains``: free-mail never names a company). An answer of no known account is
  rejected: a score nobody can act on is noise.
- **Comment → feedback**: a comment becomes a feedback item (source "nps", verbatim = the comment, received at the
  answer's time, the answer's account) through ``integrations.ingest.ingest_items``, which validates, dedupes on
  ``("nps", "<source>:<external id>")`` and queues triage; the answer links to it. Re-sending an answer updates
  both, never doubles them; a changed comment sends the item back to triage.
- **Bands**: NPS detractor 0–6, passive 7–8, promoter 9–10 (Bain's NPS); CSAT unsatisfied 1–2, neutral 3,
  satisfied 4–5. The escalation rule reads the score itself (``insights.escalations``: score ≤ the rule's threshold).
- **Health**: the accounts of a batch are rescored at once (``insights.health``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Count, Q, QuerySet
from rest_framework import serializers

from customers.models import Customer
from customers.selectors import match_customers
from feedback import services as feedback_services
from feedback.choices import Source
from feedback.models import FeedbackItem
from insights import health, survey_math
from insights.api.serializers import SurveyAnswerSerializer  # the API's format is the service's input
from insights.choices import SurveyKind
from insights.models import SurveyResponse
from integrations import ingest
from integrations.api.serializers import IngestItemSerializer

log = logging.getLogger(__name__)

MAX_BATCH = 1_000
CREATED, UPDATED, REJECTED = ingest.CREATED, ingest.UPDATED, ingest.REJECTED
STATES = (CREATED, UPDATED, REJECTED)
DETRACTOR, PASSIVE, PROMOTER = "detractor", "passive", "promoter"
# Highest score of each band, by kind: NPS 0–6 / 7–8 / 9–10; CSAT 1–2 / 3 / 4–5 (``insights.survey_math``).
BANDS = {
    SurveyKind.NPS: (survey_math.DETRACTOR_MAX, survey_math.PASSIVE_MAX),
    SurveyKind.CSAT: (survey_math.UNSATISFIED_MAX, survey_math.NEUTRAL_MAX),
}
FEEDBACK_SOURCE = Source.NPS
# Ingestion's field → the answer's field, for a comment the ingestion would refuse.
INGEST_FIELDS = {"verbatim": "comment", "received_at": "responded_at", "reporter_email": "contact_email"}

UPSERT_SQL = """
INSERT INTO {table} AS r (
    kind, score, comment, customer_id, contact_email, survey, source, external_id, responded_at, created_at
)
SELECT x.kind, x.score, x.comment, x.customer_id, x.contact_email, x.survey, x.source, x.external_id,
       x.responded_at, now()
FROM jsonb_to_recordset(%s::jsonb) AS x(
    kind text, score integer, comment text, customer_id bigint, contact_email text, survey text, source text,
    external_id text, responded_at timestamptz
)
ORDER BY x.source, x.external_id
ON CONFLICT ON CONSTRAINT survey_response_unique_source_id DO UPDATE SET
    kind = EXCLUDED.kind,
    score = EXCLUDED.score,
    comment = CASE WHEN EXCLUDED.comment = '' THEN r.comment ELSE EXCLUDED.comment END,
    customer_id = EXCLUDED.customer_id,
    contact_email = COALESCE(NULLIF(EXCLUDED.contact_email, ''), r.contact_email),
    survey = COALESCE(NULLIF(EXCLUDED.survey, ''), r.survey),
    responded_at = EXCLUDED.responded_at
RETURNING r.id, r.source, r.external_id, (r.xmax = 0) AS created
"""


def band(*, kind: str, score: int) -> str:
    """Detractor, passive or promoter (CSAT: unsatisfied, neutral, satisfied are called the same here)."""
    low, middle = BANDS[SurveyKind(kind)]
    return DETRACTOR if score <= low else PASSIVE if score <= middle else PROMOTER


def band_q(name: str) -> Q:
    """The answers in band ``name``, both kinds."""
    parts = []
    for kind, (low, middle) in BANDS.items():
        bounds = {DETRACTOR: {"score__lte": low}, PASSIVE: {"score__gt": low, "score__lte": middle}}
        parts.append(Q(kind=kind, **bounds.get(name, {"score__gt": middle})))
    return parts[0] | parts[1]


def feedback_key(*, source: str, external_id: str) -> str:
    """The feedback item's source id of an answer's comment (unique, as the answer's own key is)."""
    return f"{source}:{external_id}"


@dataclass
class AnswerResult:
    """What became of one answer of a request: created, updated or rejected (with the reasons, by field)."""

    index: int
    status: str
    source: str = ""
    external_id: str = ""
    id: int | None = None
    customer: int | None = None
    feedback: int | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)

    def as_dict(self) -> dict:
        """The answer's line in the API's reply."""
        line = {"index": self.index, "status": self.status, "source": self.source, "external_id": self.external_id}
        if self.status == REJECTED:
            line["errors"] = self.errors
            line["reason"] = "; ".join(f"{name}: {' '.join(messages)}" for name, messages in self.errors.items())
        else:
            line.update(id=self.id, customer=self.customer, feedback=self.feedback)
        return line


def record_responses(*, items: Sequence[object], received_via: str) -> list[AnswerResult]:
    """Validate, match, upsert ``items`` (survey answers) and turn their comments into feedback; one result each.

    The accepted answers, their feedback items and the health of their accounts are written in one transaction
    (all or none: a database error rolls them back and raises); the feedback goes to triage after it commits.
    """
    results: list[AnswerResult | None] = [None] * len(items)
    accepted: dict[tuple[str, str], tuple[int, dict]] = {}
    checker = SurveyAnswerSerializer()
    for index, raw in enumerate(items):
        try:
            data = checker.run_validation(raw)
        except serializers.ValidationError as error:
            results[index] = _rejected(index, raw, ingest.error_paths(error.detail))
            continue
        key = (data["source"], data["external_id"])
        if key in accepted:
            earlier = accepted[key][0]
            results[earlier] = _rejected(
                earlier, items[earlier], {"external_id": [f"Sent again later in this request (items[{index}])."]}
            )
        accepted[key] = (index, data)
    rows = _with_customers(accepted, results)
    if rows:
        _store(rows, results, received_via=received_via)
    return results


def _rejected(index: int, raw: object, errors: dict[str, list[str]]) -> AnswerResult:
    source, external_id = (raw.get("source"), raw.get("external_id")) if isinstance(raw, Mapping) else ("", "")
    return AnswerResult(
        index=index,
        status=REJECTED,
        source=source if isinstance(source, str) else "",
        external_id=str(external_id)
        if isinstance(external_id, str | int) and not isinstance(external_id, bool)
        else "",
        errors=errors,
    )


def _with_customers(accepted: dict, results: list) -> list[tuple[int, dict]]:
    """The accepted answers whose account is known, in key order, each with ``customer_id`` (three queries)."""
    ordered = [accepted[key] for key in sorted(accepted)]
    wanted = {data["customer"] for _, data in ordered if data.get("customer")}
    known = set(Customer.objects.filter(pk__in=wanted).values_list("pk", flat=True)) if wanted else set()
    as_ingest = [
        {"customer_domain": d.get("customer_domain", ""), "reporter_email": d.get("contact_email", "")}
        for _, d in ordered
    ]
    matches = match_customers(
        crm_ids={data.get("customer_crm_id", "") for _, data in ordered},
        domains={domain for item in as_ingest for domain, _ in ingest.candidate_domains(item)},
    )
    rows = []
    for (index, data), item in zip(ordered, as_ingest, strict=True):
        customer_id = None
        if data.get("customer"):
            customer_id = data["customer"] if data["customer"] in known else None
            if customer_id is None:
                results[index] = _rejected(index, data, {"customer": [f"No account has the id {data['customer']}."]})
                continue
        elif data.get("customer_crm_id") in matches.by_crm_id:
            customer_id = matches.by_crm_id[data["customer_crm_id"]]
        else:
            customer_id = next(
                (matches.by_domain[d] for d, _ in ingest.candidate_domains(item) if d in matches.by_domain), None
            )
        if customer_id is None:
            names = ", ".join(
                f"{name} “{data[name]}”"
                for name in ("customer_crm_id", "customer_domain", "contact_email")
                if data.get(name)
            )
            results[index] = _rejected(
                index, data, {"customer": [f"No account matches {names}: the hub must know the account first."]}
            )
            continue
        rows.append((index, {**data, "customer_id": customer_id}))
    return _comments_accepted(rows, results)


def _comments_accepted(rows: list[tuple[int, dict]], results: list) -> list[tuple[int, dict]]:
    """The rows whose comment the ingestion would take (checked before anything is written); the others rejected."""
    if not rows:
        return rows
    customers = {c.pk: c for c in Customer.objects.filter(pk__in={d["customer_id"] for _, d in rows})}
    checker, kept = IngestItemSerializer(), []
    for index, data in rows:
        if data.get("comment", "").strip():
            item = _feedback_item(data, customers[data["customer_id"]])
            try:
                checker.run_validation(item)
            except serializers.ValidationError as error:
                errors = {
                    INGEST_FIELDS.get(path.split(".")[0], "comment"): messages
                    for path, messages in ingest.error_paths(error.detail).items()
                }
                results[index] = _rejected(index, data, errors)
                continue
        kept.append((index, data))
    return kept


def _store(rows: list[tuple[int, dict]], results: list, *, received_via: str) -> None:
    payload = json.dumps(
        [
            {
                "kind": data["kind"],
                "score": data["score"],
                "comment": data.get("comment", ""),
                "customer_id": data["customer_id"],
                "contact_email": data.get("contact_email", ""),
                "survey": data.get("survey", ""),
                "source": data["source"],
                "external_id": data["external_id"],
                "responded_at": data["responded_at"].isoformat(),
            }
            for _, data in rows
        ]
    )
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(UPSERT_SQL.format(table=connection.ops.quote_name(SurveyResponse._meta.db_table)), [payload])
            stored = {(source, external_id): (pk, created) for pk, source, external_id, created in cursor.fetchall()}
        responses = {
            r.pk: r
            for r in SurveyResponse.objects.filter(pk__in=[pk for pk, _ in stored.values()]).select_related("customer")
        }
        comments_to_feedback(responses=responses.values(), received_via=received_via)
    for index, data in rows:
        pk, created = stored[(data["source"], data["external_id"])]
        response = responses[pk]
        results[index] = AnswerResult(
            index=index,
            status=CREATED if created else UPDATED,
            source=data["source"],
            external_id=data["external_id"],
            id=pk,
            customer=response.customer_id,
            feedback=response.feedback_id,
        )


def _feedback_item(data: Mapping, customer: Customer) -> dict:
    """An answer's comment as an item of the ingestion's format (its account named by CRM id or domain)."""
    item = {
        "source": FEEDBACK_SOURCE.value,
        "source_id": feedback_key(source=data["source"], external_id=data["external_id"]),
        "received_at": data["responded_at"],
        "verbatim": data["comment"],
        "tags": [data["kind"], band(kind=data["kind"], score=data["score"])],
        "raw_payload": {
            "survey_response": {
                "kind": data["kind"],
                "score": data["score"],
                "survey": data.get("survey", ""),
                "source": data["source"],
                "external_id": data["external_id"],
            }
        },
    }
    if data.get("contact_email"):
        item["reporter_email"] = data["contact_email"]
    if customer.crm_id:
        item["customer_crm_id"] = customer.crm_id
    elif customer.domain:
        item["customer_domain"] = customer.domain
    return item


def comments_to_feedback(*, responses: Iterable[SurveyResponse], received_via: str) -> int:
    """Turn the comments of ``responses`` (saved, with their customer) into feedback items linked to them, and
    rescore their accounts; returns how many answers were newly linked. Run inside the caller's transaction."""
    responses = list(responses)
    with_comment = [r for r in responses if r.comment.strip()]
    items = [_feedback_item(_as_data(r), r.customer) for r in with_comment]
    linked = 0
    if items:
        outcomes = ingest.ingest_items(items=items, received_via=received_via)
        changed = []
        for response, outcome in zip(with_comment, outcomes, strict=True):
            if outcome.status == ingest.REJECTED:  # checked before: only a comment changed in between gets here
                log.warning("Survey answer %s: its comment was not taken in (%s).", response.pk, outcome.errors)
                continue
            if outcome.status == ingest.CREATED and outcome.customer != response.customer_id:
                # the account has no CRM id or domain, and the contact's e-mail named none or another one
                feedback_services.assign_customer(
                    item=FeedbackItem.objects.get(pk=outcome.id), customer=response.customer
                )
            if response.feedback_id != outcome.id:
                response.feedback_id = outcome.id
                changed.append(response)
        linked = SurveyResponse.objects.bulk_update(changed, ["feedback"]) if changed else 0
    health.refresh_health_scores(customer_ids={r.customer_id for r in responses})
    return linked


def _as_data(response: SurveyResponse) -> dict:
    return {
        "kind": response.kind,
        "score": response.score,
        "comment": response.comment,
        "contact_email": response.contact_email,
        "survey": response.survey,
        "source": response.source,
        "external_id": response.external_id,
        "responded_at": response.responded_at,
    }


def save_response(*, response: SurveyResponse, received_via: str) -> SurveyResponse:
    """Save one answer (the admin form) and hear its comment, as every other door does."""
    with transaction.atomic():
        response.save()
        comments_to_feedback(responses=[response], received_via=received_via)
    return response


@dataclass(frozen=True)
class SurveyFigures:
    """NPS (% promoters − % detractors) and CSAT (% satisfied) over a set of answers, with their sample sizes."""

    nps_n: int
    promoters: int
    passives: int
    detractors: int
    csat_n: int
    satisfied: int

    @property
    def nps(self) -> int | None:
        """−100 to 100; None with no NPS answer."""
        score = survey_math.nps(self.promoters, self.detractors, self.nps_n)
        return None if score is None else round(score)

    @property
    def csat(self) -> int | None:
        """Percent of CSAT answers that are satisfied (4–5); None with no CSAT answer."""
        score = survey_math.csat(self.satisfied, self.csat_n)
        return None if score is None else round(score)


def figures(queryset: QuerySet[SurveyResponse]) -> SurveyFigures:
    """The NPS and CSAT of ``queryset`` (the admin's filtered rows), in one aggregate query."""
    nps, csat = Q(kind=SurveyKind.NPS), Q(kind=SurveyKind.CSAT)
    counts = queryset.order_by().aggregate(
        nps_n=Count("pk", filter=nps),
        promoters=Count("pk", filter=nps & band_q(PROMOTER)),
        passives=Count("pk", filter=nps & band_q(PASSIVE)),
        detractors=Count("pk", filter=nps & band_q(DETRACTOR)),
        csat_n=Count("pk", filter=csat),
        satisfied=Count("pk", filter=csat & band_q(PROMOTER)),
    )
    return SurveyFigures(**counts)
