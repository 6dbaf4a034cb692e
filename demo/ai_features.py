"""The demo's AI triage, made by the hub's own services so the admin's AI pages show real output on a fresh start.

The generator (``demo.drafting``) leaves ~10 % of the items untriaged: the recent ones, as if just ingested. Here the
oldest ``TRIAGE_NOW`` of them are triaged by the offline provider through ``feedback.triage.triage_items``, the
pipeline the worker runs: triage records with provider, model and version, seed 002's priority with its reason,
"needs a person" records for text the provider cannot read well (German), and duplicate suggestions (the pipeline
suggests them from the vectors it stores). Then a PM overrides a few AI values through the doors' own services
(``services.save_feedback``, so each change is logged as a ``FieldOverride``),
and ``themes.suggestions.suggest_themes`` clusters the unthemed recent items into suggested themes.

The rest of the untriaged items go to the worker as ingestion sends them: a ``PendingTriage`` outbox row each in
this transaction, one ``feedback.tasks.triage_items`` message after the commit (``integrations.ingest.queue_triage``;
with the broker down, the minute sweep sends the rows). Triage costs ~40-100 ms a demo item on 2 busy cores (most
of it embedding the longer call notes and threads), so triaging all ~500 here would add half a minute to every fresh
``make run``; ``TRIAGE_NOW`` keeps the AI step to a few seconds.

Nothing here writes an AI field itself.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction

from feedback import services, triage
from feedback.choices import Category, Priority
from feedback.models import DuplicateSuggestion, FeedbackItem, FieldOverride, TriageRecord

log = logging.getLogger(__name__)

TRIAGE_NOW = 100  # untriaged demo items triaged while loading; the worker triages the others
THEME_MIN_SIZE = 5  # suggested themes of at least this many items: a handful to review, not dozens
OVERRIDER = "camille.laurent"  # the PM who corrects the AI (demo/data/people.json)
# A PM's corrections: (the AI's category, the PM's) and a priority raised for a strategic account.
CATEGORY_FIXES = ((Category.IMPROVEMENT, Category.FEATURE_REQUEST), (Category.QUESTION, Category.PAIN_POINT))


@dataclass
class AIDemo:
    """What the AI step made."""

    triaged: int = 0
    needs_review: int = 0
    split: int = 0
    queued: int = 0
    overrides: int = 0
    duplicate_suggestions: int = 0
    theme_suggestions: int = 0

    def counts(self) -> dict[str, int]:
        return {
            "triaged by the offline AI": self.triaged,
            "  of which needing a person": self.needs_review,
            "calls cut into items by the AI": self.split,
            "left for the worker to triage": self.queued,
            "AI values a PM overrode": self.overrides,
            "duplicate suggestions": self.duplicate_suggestions,
            "theme suggestions": self.theme_suggestions,
        }


def triage_demo(*, users: dict, provider=None, now: int = TRIAGE_NOW) -> AIDemo:
    """Triage the oldest ``now`` untriaged items, override a few values, suggest themes; queue the rest."""
    from ai.providers import get_provider
    from themes import suggestions

    provider = provider or get_provider("offline")
    result = AIDemo()
    waiting = list(FeedbackItem.objects.untriaged().order_by("received_at", "pk").values_list("pk", flat=True))
    run = triage.triage_items(item_ids=waiting[:now], provider=provider)
    result.triaged, result.needs_review = run.triaged, run.needs_review
    result.split = getattr(run, "split", 0)  # calls and long threads the pipeline cut into pieces, if it does
    result.overrides = override_a_few(user=users.get(OVERRIDER), item_ids=run.item_ids)
    result.theme_suggestions = len(suggestions.suggest_themes(provider=provider, min_size=THEME_MIN_SIZE))
    result.duplicate_suggestions = DuplicateSuggestion.objects.count()
    result.queued = queue_for_worker(waiting[now:])
    return result


def override_a_few(*, user, item_ids: list[int]) -> int:
    """A PM corrects the AI on a few items it applied values to, through the door services; overrides logged."""
    applied = (
        TriageRecord.objects.filter(feedback_id__in=item_ids, outcome=TriageRecord.Outcome.APPLIED)
        .order_by("feedback_id")
        .values_list("feedback_id", "category")
    )
    by_category: dict[str, int] = {}
    for pk, category in applied:
        by_category.setdefault(category, pk)
    changes = [(by_category[ai], "category", human) for ai, human in CATEGORY_FIXES if ai in by_category]
    raised = next((pk for pk, _ in applied if pk not in {change[0] for change in changes}), None)
    if raised is not None:
        changes.append((raised, "priority", Priority.CRITICAL))
    for pk, name, value in changes:
        item = FeedbackItem.objects.get(pk=pk)
        setattr(item, name, value if getattr(item, name) != value else Priority.HIGH)
        services.save_feedback(item=item, created=False, user=user)
    return FieldOverride.objects.filter(feedback_id__in=[change[0] for change in changes]).count()


def queue_for_worker(item_ids: list[int]) -> int:
    """Send ``item_ids`` to the worker's triage as ingestion does: outbox rows now, the message after the commit."""
    from integrations import ingest
    from integrations.models import PendingTriage

    if not item_ids:
        return 0
    PendingTriage.objects.bulk_create([PendingTriage(item_id=pk) for pk in item_ids], ignore_conflicts=True)
    transaction.on_commit(lambda: ingest.queue_triage(item_ids=item_ids))
    return len(item_ids)
