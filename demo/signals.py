"""Demo: behavioural signals and surveys — usage history long enough for 30-day trends, NPS and CSAT answers with
comments, then every account's usage signals and health score, as the daily job computes them.

``load(stdout)`` runs after ``load_demo``'s customers and usage (``demo.accounts.create_usage``: 30 days for 60
accounts, some dropping, a few silent). It adds the 30 days before those, at each account's level before any drop,
so "usage down 30 %+ in 30 days" has a month to compare with; then answers from ``ANSWERED_SHARE`` of the paying
accounts, scored by how the account is doing (at-risk and silent accounts lean detractor, expanding ones promoter),
through ``insights.surveys.record_responses`` (the API's door: comments become feedback, marked as demo data); and
a few upsells (ARR up for expanding accounts) for the "recently expanded" cohort.
Idempotent: days and answers are keyed; a second run adds nothing.
"""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Max, Min
from django.utils import timezone

from customers.choices import Lifecycle
from customers.models import Customer, UsageSnapshot
from customers.services import refresh_usage_signals
from demo.accounts import BATCH_SIZE
from demo.safety import PAYLOAD_MARK
from feedback.models import FeedbackItem
from insights import health, surveys
from insights.choices import SurveyKind
from insights.models import SurveyResponse

SEED = 20_241_105
HISTORY_DAYS = 60  # each account's usage reaches this far back: two 30-day windows to compare
BASE_DAYS = 7  # the account's level: its first week of demo usage (before any drop or silence)
ANSWERED_SHARE = 0.6
UPSELLS = 5
SOURCE = "demo-survey"
MARK = "signals"
COMMENTS = {  # by band; None: a score with no comment
    surveys.DETRACTOR: [
        "Latency doubled since the last release and our support agents time out during peak hours.",
        "We were billed twice for fine-tuning jobs that failed. Still waiting for the refund.",
        "The SSO setup is painful and our security team is reviewing other vendors.",
        "Rate limits hit us every Monday morning; we cannot plan our batch jobs around them.",
        "Les temps de réponse se sont dégradés depuis un mois, nos équipes perdent patience.",
        None,
    ],
    surveys.PASSIVE: [
        "Good models, but the documentation for function calling is thin.",
        "Works for us; we would like usage dashboards per project.",
        "Solid API. The playground could save prompts per team.",
        None,
        None,
    ],
    surveys.PROMOTER: [
        "Codestral saved our developers hours every week.",
        "The embeddings are the best we tested for our legal search.",
        "Great support from our CSM during the rollout.",
        "Très bonne qualité des réponses en français, bravo.",
        None,
        None,
    ],
}


def load(stdout) -> dict[str, int]:
    """Add the earlier usage and the survey answers, then refresh signals and health; returns the counts."""
    with transaction.atomic():
        days = _earlier_usage(random.Random(SEED))
        upsold = _upsells()
        refreshed = {"usage signals": refresh_usage_signals()}  # the answers' scores lean on the usage trend
        results = _answers(random.Random(SEED + 1))  # its own draws: the same answers however much usage was added
        marked = _mark_demo_feedback(results)
        refreshed["health scores"] = health.refresh_health_scores()
    answered = [r for r in results if r.status != surveys.REJECTED]
    figures = surveys.figures(SurveyResponse.objects.filter(source=SOURCE))
    counts = {
        "earlier usage days": days,
        "survey answers": len(answered),
        "comments as feedback": marked,
        "upsells": upsold,
        **refreshed,
    }
    nps = "n/a" if figures.nps is None else f"{figures.nps:+d}"
    stdout.write(
        f"Signals: {days:,} earlier usage days; {len(answered)} survey answers (NPS {nps}, n = {figures.nps_n}; "
        f"CSAT {figures.csat} % satisfied, n = {figures.csat_n}), {marked} comments as feedback; {upsold} upsells; "
        f"usage signals and health scores of {Customer.objects.count()} accounts refreshed"
    )
    return counts


def _earlier_usage(rng: random.Random) -> int:
    """Days before each account's first usage day, back to ``HISTORY_DAYS`` before its last, at the level of its
    first ``BASE_DAYS`` days; returns how many were added."""
    spans = {
        row["customer_id"]: (row["first"], row["last"])
        for row in UsageSnapshot.objects.values("customer_id").annotate(first=Min("taken_on"), last=Max("taken_on"))
        if (row["last"] - row["first"]).days + 1 < HISTORY_DAYS
    }
    base: dict[int, list[UsageSnapshot]] = {}
    fields = ("customer_id", "taken_on", "active_users", "api_requests", "tokens_used", "features_used")
    early = UsageSnapshot.objects.filter(customer_id__in=list(spans)).order_by("customer_id", "taken_on").only(*fields)
    for snapshot in early:
        if snapshot.taken_on < spans[snapshot.customer_id][0] + timedelta(days=BASE_DAYS):
            base.setdefault(snapshot.customer_id, []).append(snapshot)
    rows = []
    for customer_id in sorted(base):
        first, last = spans[customer_id]
        week = [s for s in base[customer_id] if s.taken_on.weekday() < 5] or base[customer_id]
        users = sum(s.active_users for s in week) / len(week)
        requests = sum(s.api_requests for s in week) / len(week)
        tokens_per_request = sum(s.tokens_used for s in week) / max(1, sum(s.api_requests for s in week))
        share = {name: uses / max(1, week[0].api_requests) for name, uses in week[0].features_used.items()}
        day = first - timedelta(days=1)
        while (last - day).days < HISTORY_DAYS:
            factor = (0.35 if day.weekday() >= 5 else 1.0) * rng.uniform(0.9, 1.1)
            day_requests = int(requests * factor)
            rows.append(
                UsageSnapshot(
                    customer_id=customer_id,
                    taken_on=day,
                    active_users=int(users * factor),
                    api_requests=day_requests,
                    tokens_used=int(day_requests * tokens_per_request),
                    features_used={name: int(day_requests * part) for name, part in share.items()}
                    if day_requests
                    else {},
                )
            )
            day -= timedelta(days=1)
    UsageSnapshot.objects.bulk_create(rows, batch_size=BATCH_SIZE, ignore_conflicts=True)
    return len(rows)


def _upsells() -> int:
    """ARR up a quarter for a few expanding accounts, saved as any change is (their history records the ARR before),
    so the "recently expanded" cohort has members; accounts with a recorded change already are left alone."""
    expanding = Customer.objects.filter(lifecycle_stage=Lifecycle.EXPANSION, events__isnull=True).order_by("id")
    upsold = list(expanding[:UPSELLS])
    for customer in upsold:
        customer.arr = (customer.arr * Decimal("1.25")).quantize(Decimal("1"))
        customer.save(update_fields=["arr", "updated_at"])
    return len(upsold)


def _score(rng: random.Random, customer: Customer, kind: str) -> int:
    """A score leaning on how the account is doing: at risk or silent → low, expanding → high."""
    if customer.lifecycle_stage == Lifecycle.AT_RISK or (customer.usage_change_30d or 0) <= -30:
        mood = rng.uniform(0.0, 0.65)
    elif customer.lifecycle_stage == Lifecycle.EXPANSION:
        mood = rng.uniform(0.6, 1.0)
    else:
        mood = rng.uniform(0.6, 1.0)
    low, high = (0, 10) if kind == SurveyKind.NPS else (1, 5)
    return low + round(mood * (high - low))


def _answers(rng: random.Random) -> list[surveys.AnswerResult]:
    """Answers of a share of the paying accounts, the last 90 days, through the API's service."""
    paying = list(Customer.objects.exclude(lifecycle_stage__in=[Lifecycle.PROSPECT, Lifecycle.CHURNED]).order_by("id"))
    now = timezone.now()
    items = []
    for customer in rng.sample(paying, round(len(paying) * ANSWERED_SHARE)):
        for kind in [SurveyKind.NPS] + ([SurveyKind.CSAT] if rng.random() < 0.4 else []):
            score = _score(rng, customer, kind)
            comment = rng.choice(COMMENTS[surveys.band(kind=kind, score=score)])
            items.append(
                {
                    "kind": kind.value,
                    "score": score,
                    "comment": comment or "",
                    "customer": customer.pk,
                    "contact_email": f"{rng.choice(['cto', 'ops', 'admin', 'lead'])}@{customer.domain}"
                    if customer.domain
                    else "",
                    "survey": "Quarterly NPS" if kind == SurveyKind.NPS else "Support CSAT",
                    "source": SOURCE,
                    "external_id": f"{kind.value}-{customer.pk}",
                    "responded_at": now - timedelta(days=rng.randint(1, 85), hours=rng.randint(0, 23)),
                }
            )
    results = []
    for start in range(0, len(items), surveys.MAX_BATCH):
        results += surveys.record_responses(items=items[start : start + surveys.MAX_BATCH], received_via="demo")
    return results


def _mark_demo_feedback(results: list[surveys.AnswerResult]) -> int:
    """Mark the feedback the comments became as demo data (``demo.safety``), so ``load_demo --reset`` may clear it."""
    items = list(FeedbackItem.objects.filter(pk__in=[r.feedback for r in results if r.feedback]).only("raw_payload"))
    for item in items:
        item.raw_payload = {**item.raw_payload, PAYLOAD_MARK: MARK}
    FeedbackItem.objects.bulk_update(items, ["raw_payload"], batch_size=BATCH_SIZE)
    return len(items)
