"""One sprint of hand-countable data for the retrospective tests (``sprint()``), and the window it covers.

The sprint is 5–18 Jan 2026 (``WINDOW``: 5 Jan 00:00 to 19 Jan 00:00 UTC); the window before is 22 Dec – 4 Jan.

- theme "Batch API" (T), closed by the launch "Batch v2" shipped on 12 Jan: five items before it (30 Dec, 2, 6, 8,
  10 Jan; sentiment −0.8, −0.6, −0.4, −0.7, −0.5; bugs) and five after (12, 13, 14, 16, 18 Jan; 0.2, 0.4, 0.1, 0.3,
  0.5; praise); the theme shipped on 12 Jan;
- theme "SSO for contractors" (G): six feature requests in the window (6–11 Jan, untriaged sentiment), none before,
  no launch: it grows;
- one duplicate in the window (never counted);
- escalations: one raised 6 Jan and resolved 10 h later, one raised 8 Jan (high) still open, one raised 1 Jan and
  resolved 7 Jan (24 h × 6 = 144 h);
- NPS answers 10, 9, 3, 5, 8 and CSAT 5, 4, 2 in the window;
- an experiment concluded, planned to end 15 Jan, with no exposure (no winner).

Counted by hand: feedback in 14 (3 + 5 + 6), window before 2; by category feature request 6, praise 5, bug 3; mean
sentiment (−0.4 − 0.7 − 0.5 + 0.2 + 0.4 + 0.1 + 0.3 + 0.5) / 8 = −0.0125 over n = 8.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from feedback.choices import Category, Sentiment
from feedback.models import FeedbackItem
from insights.choices import EscalationStatus, Metric, Severity
from insights.experiments import create_experiment
from insights.models import Escalation, EscalationRule, Experiment, SurveyResponse
from insights.retro_facts import Window
from launches.choices import LaunchStatus
from tests.factories import make_customer, make_feedback, make_launch, make_theme

WINDOW = Window(start=datetime(2026, 1, 5, tzinfo=UTC), end=datetime(2026, 1, 19, tzinfo=UTC))
NOW = datetime(2026, 1, 20, tzinfo=UTC)  # when the retrospective is written: the after period is cut here
BEFORE = [(date(2025, 12, 30), -0.8), (date(2026, 1, 2), -0.6), (date(2026, 1, 6), -0.4), (date(2026, 1, 8), -0.7)]
BEFORE += [(date(2026, 1, 10), -0.5)]
AFTER = [(date(2026, 1, 12), 0.2), (date(2026, 1, 13), 0.4), (date(2026, 1, 14), 0.1), (date(2026, 1, 16), 0.3)]
AFTER += [(date(2026, 1, 18), 0.5)]


def noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


@dataclass
class Sprint:
    launch: object
    theme: object
    growing: object
    before: list
    after: list
    growing_items: list
    open_escalation: Escalation
    experiment: Experiment


def rule() -> EscalationRule:
    return EscalationRule.objects.get_or_create(
        name="Retro test rule", defaults={"metric": Metric.NPS_DETRACTOR, "threshold": Decimal("6")}
    )[0]


def sprint() -> Sprint:
    customer = make_customer()
    theme = make_theme(name="Batch API")
    growing = make_theme(name="SSO for contractors")
    launch = make_launch(
        name="Batch v2",
        status=LaunchStatus.SHIPPED,
        shipped_on=date(2026, 1, 12),
        target_date=date(2026, 1, 12),
        themes=[theme],
    )
    theme.status, theme.shipped_at = "shipped", noon(date(2026, 1, 12))
    theme.save(update_fields=["status", "shipped_at"])

    def item(day: date, score, category, **fields) -> FeedbackItem:
        label = "" if score is None else (Sentiment.NEGATIVE if score < 0 else Sentiment.POSITIVE)
        return make_feedback(
            received_at=noon(day),
            sentiment_score=score,
            sentiment_label=label,
            category=category,
            customer=customer,
            **fields,
        )

    before = [item(day, score, Category.BUG) for day, score in BEFORE]
    after = [item(day, score, Category.PRAISE) for day, score in AFTER]
    for found in before + after:
        found.themes.add(theme)
    growing_items = [item(date(2026, 1, 6) + timedelta(days=n), None, Category.FEATURE_REQUEST) for n in range(6)]
    for found in growing_items:
        found.themes.add(growing)
    item(date(2026, 1, 7), -0.9, Category.BUG, duplicate_of=before[2]).themes.add(theme)

    escalation = rule()
    Escalation.objects.create(
        rule=escalation,
        condition_key="retro:a",
        severity=Severity.MEDIUM,
        summary="Resolved within the sprint",
        opened_at=noon(date(2026, 1, 6)),
        resolved_at=noon(date(2026, 1, 6)) + timedelta(hours=10),
        status=EscalationStatus.RESOLVED,
    )
    still_open = Escalation.objects.create(
        rule=escalation,
        condition_key="retro:b",
        severity=Severity.HIGH,
        summary="Still open at the end",
        opened_at=noon(date(2026, 1, 8)),
        theme=growing,
        feedback=growing_items[0],
    )
    Escalation.objects.create(
        rule=escalation,
        condition_key="retro:c",
        severity=Severity.LOW,
        summary="Raised before, resolved during",
        opened_at=noon(date(2026, 1, 1)),
        resolved_at=noon(date(2026, 1, 7)),
        status=EscalationStatus.RESOLVED,
    )
    for n, (kind, score) in enumerate([("nps", 10), ("nps", 9), ("nps", 3), ("nps", 5), ("nps", 8)] + [("csat", 5)]):
        answer(customer, kind, score, n)
    answer(customer, "csat", 4, 10)
    answer(customer, "csat", 2, 11)

    experiment = create_experiment(
        key="retro-onboarding",
        name="Onboarding checklist",
        variants=[
            {"key": "control", "share": 50, "is_control": True},
            {"key": "checklist", "share": 50},
        ],
        metrics=[{"name": "converted", "kind": "proportion", "event": "report_sent"}],
    )
    Experiment.objects.filter(pk=experiment.pk).update(
        status="concluded", start_at=noon(date(2026, 1, 1)), planned_end_at=noon(date(2026, 1, 15))
    )
    return Sprint(launch, theme, growing, before, after, growing_items, still_open, experiment)


def answer(customer, kind: str, score: int, n: int) -> SurveyResponse:
    return SurveyResponse.objects.create(
        kind=kind,
        score=score,
        customer=customer,
        external_id=f"retro-{kind}-{n}",
        source="test",
        responded_at=noon(date(2026, 1, 7)) + timedelta(hours=n),
    )
