"""Demo technical metrics (issue 11 part 6): daily samples of requests, errors and latency for the demo's accounts and
products over the last 13 weeks, so the page "Technical metrics vs feedback" and its escalation have a story.

The feedback is not touched: the samples are written to agree with it. The product whose demo feedback sentiment fell
the most over the last 14 days (against the 14 before) gets errors that follow its weekly sentiment (worse weeks,
more errors) and rise about threefold in the last 14 days, with a slower p95; every other product has a steady,
noisy error rate. Then the figure is computed and the ``errors_up_sentiment_down`` rules are checked once.

``load_technical(stdout=None)`` goes through the services (``insights.technical.record_samples``,
``insights.technical_correlation.refresh``, ``insights.escalations.check_rule``) and is idempotent on the same day:
the samples are the same (a seeded generator, periods on whole days), so a second run leaves them unchanged and
opens no second escalation.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta

from django.db.models import Avg, Count, Q
from django.utils import timezone

from feedback.models import FeedbackItem
from insights import escalations, technical, technical_correlation
from insights.choices import Metric
from insights.models import EscalationRule

SEED = 11
DAYS = 91  # 13 weeks: the 12 whole weeks of the figure and the current one
ACCOUNTS_PER_PRODUCT = 4
RECENT_DAYS = 14
MIN_ITEMS = technical_correlation.MIN_ITEMS
CHUNK = 1_000


def falling_product(today: datetime) -> tuple[str | None, dict]:
    """The product whose mean sentiment fell the most (last 14 days against the 14 before), with its figures."""
    mid, start = today - timedelta(days=RECENT_DAYS), today - timedelta(days=2 * RECENT_DAYS)
    scored = FeedbackItem.objects.filter(
        duplicate_of__isnull=True, sentiment_score__isnull=False, received_at__gte=start, received_at__lt=today
    ).exclude(product="")
    rows = scored.values("product").annotate(
        then=Avg("sentiment_score", filter=Q(received_at__lt=mid)),
        now=Avg("sentiment_score", filter=Q(received_at__gte=mid)),
        n_then=Count("pk", filter=Q(received_at__lt=mid)),
        n_now=Count("pk", filter=Q(received_at__gte=mid)),
    )
    falls = [
        (row["then"] - row["now"], row["product"], row)
        for row in rows
        if row["n_then"] >= MIN_ITEMS and row["n_now"] >= MIN_ITEMS and row["now"] < row["then"]
    ]
    if not falls:
        return None, {}
    _, product, row = max(falls, key=lambda fall: (fall[0], fall[1]))
    return product, row


def weekly_sentiment(product: str, start: datetime) -> dict[int, float]:
    """Week number (from ``start``) → the product's mean sentiment that week."""
    by_week: dict[int, list[float]] = defaultdict(list)
    for at, score in FeedbackItem.objects.filter(
        product=product, sentiment_score__isnull=False, duplicate_of__isnull=True, received_at__gte=start
    ).values_list("received_at", "sentiment_score"):
        by_week[(at - start).days // 7].append(score)
    return {week: sum(scores) / len(scores) for week, scores in by_week.items()}


def accounts_by_product(start: datetime) -> dict[str, list[int]]:
    """Each product's accounts with the most feedback about it in the window (at most ``ACCOUNTS_PER_PRODUCT``)."""
    rows = (
        FeedbackItem.objects.filter(received_at__gte=start, customer__isnull=False)
        .exclude(product="")
        .values("product", "customer_id")
        .annotate(n=Count("pk"))
        .order_by("product", "-n", "customer_id")
    )
    found: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        if len(found[row["product"]]) < ACCOUNTS_PER_PRODUCT:
            found[row["product"]].append(row["customer_id"])
    return found


def build_samples(today: datetime) -> tuple[list[dict], str | None, dict]:
    rng = random.Random(SEED)
    start = today - timedelta(days=DAYS)
    falling, figures = falling_product(today)
    moods = weekly_sentiment(falling, start) if falling else {}
    reference = sum(moods.values()) / len(moods) if moods else 0.0
    items = []
    for product, accounts in sorted(accounts_by_product(start).items()):
        base = rng.uniform(0.002, 0.006)
        for customer_id in accounts:
            volume = rng.randint(2_000, 20_000)
            p50 = rng.uniform(150, 400)
            for day in range(DAYS):
                begin = start + timedelta(days=day)
                rate, slower = base * rng.uniform(0.85, 1.15), 1.0
                if product == falling:
                    rate *= 1 + 2 * max(0.0, reference - moods.get(day // 7, reference))
                    if begin >= today - timedelta(days=RECENT_DAYS):
                        rate, slower = rate * 3, 1.6
                requests = int(volume * rng.uniform(0.8, 1.2))
                median = p50 * rng.uniform(0.9, 1.1) * slower
                items.append({
                    "customer": customer_id, "product": product,
                    "period_start": begin.isoformat(), "period_end": (begin + timedelta(days=1)).isoformat(),
                    "requests": requests, "errors": min(requests, round(requests * rate)),
                    "latency_p50_ms": round(median, 1), "latency_p95_ms": round(median * rng.uniform(3, 5), 1),
                })  # fmt: skip
    return items, falling, figures


def load_technical(*, stdout=None) -> dict:
    """Write the demo samples, compute the figure, check the rules; returns what was done (and says it)."""
    now = timezone.now()
    today = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    items, falling, figures = build_samples(today)
    counts: dict[str, int] = defaultdict(int)
    for offset in range(0, len(items), CHUNK):
        for result in technical.record_samples(items=items[offset : offset + CHUNK]):
            counts[result.status] += 1
    figure = technical_correlation.refresh(now=now)
    opened = 0
    for rule in EscalationRule.objects.filter(enabled=True, metric=Metric.ERRORS_UP_SENTIMENT_DOWN).order_by("id"):
        opened += escalations.check_rule(rule, now=now).opened
    summary = {
        "samples": len(items),
        **counts,
        "falling_product": falling,
        "rising": [f"{row['kind']}:{row['subject']}" for row in figure.data["rising"]["rows"]],
        "escalations_opened": opened,
    }
    if stdout is not None:
        story = (
            f"errors rise on {technical_correlation.label('product', falling)} while its sentiment falls "
            f"({figures['then']:+.2f} → {figures['now']:+.2f})"
            if falling
            else "no product's demo sentiment fell in the last 14 days: no rising-errors story"
        )
        stdout.write(
            f"Technical metrics: {len(items)} daily samples ({counts['created']} new); {story}; "
            f"{len(summary['rising'])} listed as rising, {opened} escalation(s) opened.\n"
        )
    return summary
