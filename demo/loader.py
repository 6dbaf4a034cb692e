"""``load_demo``: the demo company, loaded once, the same for the same seed and day.

Staff users in their roles' groups, customers with usage, feedback (with duplicates, untriaged items, theme links),
themes with their verification and launches with their checklists. ``reset_demo`` empties those tables first —
only when they hold nothing but demo data, unless forced (``demo.safety``).
"""

from __future__ import annotations

import io
import random
import time
from collections.abc import Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone

from ai.providers import get_provider
from customers.models import Customer, UsageSnapshot
from demo import (
    accounts,
    ai_features,
    capture,
    closing,
    community,
    digests,
    discovery,
    escalations,
    experiments,
    journeys,
    kpis,
    outbound,
    people,
    retrospectives,
    roadmap,
    safety,
    signals,
    technical,
)
from demo.accounts import BATCH_SIZE, Account
from demo.drafting import DUPLICATE_SHARE, FeedbackFactory
from demo.draw import midnight
from feedback import triage
from feedback.models import ClassifierVersion, FeedbackItem
from feedback.tasks import embed_pending
from feedbackhub.bulk import indexes_dropped, truncate
from feedbackhub.models import DomainEvent
from feedbackhub.roles import ROLES
from insights.models import (
    AskedQuestion,
    DashboardFigure,
    Escalation,
    Experiment,
    ProductEvent,
    Retrospective,
    SurveyInvitation,
    SurveyResponse,
    TechnicalSample,
)
from integrations.models import CaptureKey, CaptureSignal, CommunityAuthor, CommunityWatch, OutboundAction, OutboundRule
from launches.models import ChecklistItem, CustomerUpdate, Launch
from notifications.models import Digest, Notification
from themes.models import Theme, ThemeVerification
from themes.services import refresh_rollups

DEMO_SEED = 20_240_917
DEMO_FEEDBACK = 5_000
HISTORY_TABLES = (
    "feedback.FeedbackItemHistory",
    "themes.ThemeHistory",
    "customers.CustomerHistory",
    "launches.LaunchHistory",
    "launches.ChecklistItemHistory",
)
DEMO_TABLES = (Customer, UsageSnapshot, FeedbackItem, Theme, ThemeVerification, Launch, ChecklistItem)


@dataclass
class DemoResult:
    """What ``load_demo`` created."""

    counts: dict[str, int] = field(default_factory=dict)
    admin_created: bool = False
    seconds: float = 0.0


def demo_loaded() -> bool:
    """Whether the demo data is already there (the admin user and at least one customer exist)."""
    return get_user_model().objects.filter(username=people.ADMIN_USERNAME).exists() and Customer.objects.exists()


def reset_demo(*, force: bool = False) -> None:
    """Delete all feedback, themes, launches (with checklists), customers, usage and the non-superuser demo users.

    Refuses (``safety.NotDemoData``, nothing deleted) when those tables hold rows the demo did not create, unless
    ``force``. TRUNCATE … CASCADE also empties the tables that point at these (theme links, embeddings, anything
    added later that references them) and restarts their ids, so a reload gives the same ids again.
    """
    if not force:
        safety.check_reset_is_safe()
    history = [apps.get_model(label) for label in HISTORY_TABLES]  # TRUNCATE fires no row trigger: empty them too
    suggested = apps.get_model("themes", "ThemeSuggestion")  # made by the demo's AI step; not reached by CASCADE
    # What the loop's jobs wrote about the demo (messages, events, digests) points at no demo row: emptied too, or a
    # reload would find last load's outbox keys taken and send nothing.
    # The same for the measures (issue 11) that no CASCADE from an account reaches, the figures computed from all of
    # it (the jobs compute them again), and the classifier the demo's triage shadow was trained for.
    loop = [Notification, DomainEvent, Digest, Experiment, Retrospective, TechnicalSample, DashboardFigure]
    # Issue 13's records: the widget's key and counts, rules and their outbox, community watches, questions asked
    # (discovery records go with their launch and customers through CASCADE).
    loop += [CaptureKey, CaptureSignal, OutboundRule, OutboundAction, CommunityWatch, CommunityAuthor, AskedQuestion]
    ClassifierVersion.objects.filter(version__in=experiments.shadow_classifier_versions(), active=False).delete()
    models = [FeedbackItem.themes.through, Launch.themes.through, *DEMO_TABLES, suggested, *loop, *history]
    truncate([model._meta.db_table for model in models])
    people.delete_demo_staff()


@transaction.atomic
def load_demo(
    *, seed: int = DEMO_SEED, today: date | None = None, reset: bool = False, force: bool = False, stdout=None
) -> DemoResult | None:
    """Load the demo company; None (and no change) when it is already there and ``reset`` is false.

    With ``reset``, the demo tables are emptied first (see ``reset_demo``; ``force`` deletes non-demo rows too).
    The loop's jobs then run on it as they would in a week of use (``load_loop``), saying what they did on ``stdout``.
    """
    started = time.perf_counter()
    if reset:
        reset_demo(force=force)
    elif demo_loaded():
        return None
    today = today or timezone.now().date()
    rng = random.Random(seed)
    result = DemoResult()
    users, result.admin_created = people.create_users()
    people.join_groups(users)
    people.join_teams(users)
    customers = accounts.create_customers(rng=rng, today=today, owners_by_region=people.owners_by_region(users))
    usage = accounts.create_usage(rng=rng, today=today, customers=customers)
    themes = roadmap.create_themes(rng=rng, today=today, users=users)
    feedback, duplicates, untriaged, links = create_feedback(rng=rng, today=today, customers=customers, themes=themes)
    refresh_rollups(theme_ids=[theme.pk for theme in themes.values()])
    launches, items, done = roadmap.create_launches(rng=rng, today=today, users=users, themes=themes)
    ai = ai_features.triage_demo(users=users)
    load_loop(stdout or io.StringIO())
    load_measures(stdout or io.StringIO())
    load_capture(stdout or io.StringIO())
    result.counts = {
        "users": len(users) + 1,
        "groups": len(ROLES),
        "customers": len(customers),
        "usage snapshots": usage,
        "feedback items": feedback,
        "  of which duplicates": duplicates,
        "  of which untriaged": untriaged,
        "theme links": links,
        "themes": len(themes),
        "verification steps done": ThemeVerification.objects.filter(
            theme__in=themes.values(), done_at__isnull=False
        ).count(),
        "launches": launches,
        "checklist items": items,
        "checklist items done": done,
        **ai.counts(),
        "survey responses": SurveyResponse.objects.count(),
        "customer updates": CustomerUpdate.objects.count(),
        "escalations": Escalation.objects.count(),
        "weekly digests": Digest.objects.count(),
        "notifications in the outbox": Notification.objects.count(),
        "product events": ProductEvent.objects.count(),
        "survey invitations": SurveyInvitation.objects.count(),
        "experiments": Experiment.objects.count(),
        "technical samples": TechnicalSample.objects.count(),
        "retrospectives": Retrospective.objects.count(),
        "capture signals (thumbs, searches)": CaptureSignal.objects.count(),
        "outbound rules (dry run)": OutboundRule.objects.count(),
        "community watches": CommunityWatch.objects.count(),
    }
    result.seconds = time.perf_counter() - started
    return result


def load_loop(stdout) -> None:
    """The jobs that close the loop, run once on the demo company: usage history and survey answers (signals and
    health; the answers' comments triaged as the worker would), a theme shipped and its customers' updates
    (closing), the hourly escalation check, the weekly digests. Each goes through the hub's own services and domain
    events, as the scheduled jobs do."""
    signals.load(stdout)
    comments = FeedbackItem.objects.untriaged().filter(**{f"raw_payload__{safety.PAYLOAD_MARK}": signals.MARK})
    triage.triage_items(item_ids=list(comments.values_list("pk", flat=True)), provider=get_provider("offline"))
    for step in (closing, escalations, digests):
        step.load(stdout)


def load_measures(stdout) -> None:
    """Measuring the loop (issue 11) on the demo company: journey surveys triggered by product events and answered,
    the events behind the persona metrics and the KPI figures, an A/B experiment ready to conclude and a triage
    shadow, technical metrics set against the feedback, and the last sprint's retrospective (last: it reads them)."""
    journeys.load_journeys(stdout=stdout)
    answers = FeedbackItem.objects.untriaged().filter(**{f"raw_payload__{safety.PAYLOAD_MARK}": journeys.MARK})
    triage.triage_items(item_ids=list(answers.values_list("pk", flat=True)), provider=get_provider("offline"))
    experiments.load_experiments(stdout=stdout)
    technical.load_technical(stdout=stdout)
    kpis.load_kpi_events(stdout=stdout)  # computes the KPI figures: after the surveys and experiments they read
    retrospectives.load_retrospectives(stdout=stdout)


def load_capture(stdout) -> None:
    """Capture everywhere (issue 13) on the demo company: the in-product widget's key, its thumbs and searches and a
    few captures; design partners, win/loss records and JTBD interviews; community posts — their feedback triaged as
    the worker would — then the outbound rules in dry run over the triaged feedback (last: they read the triage).

    The demo's feedback is bulk-created without vectors: the embedding backfill is queued for the worker (sent when
    this transaction commits), so Ask the hub has its evidence a minute or two after ``make run`` starts."""
    capture.load(stdout)
    discovery.load(stdout)
    community.load(stdout)
    marks = [capture.MARK, discovery.MARK, community.MARK]
    new = FeedbackItem.objects.untriaged().filter(**{f"raw_payload__{safety.PAYLOAD_MARK}__in": marks})
    triage.triage_items(item_ids=list(new.values_list("pk", flat=True)), provider=get_provider("offline"))
    refresh_rollups(theme_ids=list(Theme.objects.filter(rollups_dirty=True).values_list("pk", flat=True)))  # JTBD
    outbound.load(stdout)
    transaction.on_commit(_queue_embedding_backfill)


def _queue_embedding_backfill() -> None:
    try:
        embed_pending.delay()
    except Exception as error:  # noqa: BLE001 - no broker yet: the 5-minute schedule does it
        print(f"Embedding backfill not queued ({error}); the worker's schedule will run it.")


def create_feedback(
    *, rng: random.Random, today: date, customers: Sequence[Customer], themes: Mapping[str, Theme]
) -> tuple[int, int, int, int]:
    """``DEMO_FEEDBACK`` items: originals, then ~5 % duplicates of older triaged ones; links to themes by topic."""
    factory = FeedbackFactory(
        rng=rng,
        accounts=[Account.from_fields(customer.__dict__, id=customer.pk) for customer in customers],
        today=today,
        themes_by_topic={topic: [(theme, theme.status)] for topic, theme in themes.items()},
    )
    duplicates = round(DEMO_FEEDBACK * DUPLICATE_SHARE)
    originals = [factory.make() for _ in range(DEMO_FEEDBACK - duplicates)]
    cutoff = midnight(today) - timedelta(days=25)
    eligible = [draft for draft in originals if draft.triaged and draft.received_at < cutoff]
    copies = [(factory.make_duplicate(original), original) for original in rng.sample(eligible, duplicates)]

    through = FeedbackItem.themes.through
    # Into an empty table (a fresh database, or after --reset), inserting without indexes and building them after
    # is faster; on top of other feedback (scale data, say), rebuilding its indexes would cost more than it saves.
    empty = not FeedbackItem.objects.exists()
    with indexes_dropped(tables=[FeedbackItem._meta.db_table, through._meta.db_table]) if empty else nullcontext():
        objects = FeedbackItem.objects.bulk_create(
            [FeedbackItem(**draft.model_fields()) for draft in originals], batch_size=BATCH_SIZE
        )
        object_of = {id(draft): obj for draft, obj in zip(originals, objects, strict=True)}
        copy_objects = FeedbackItem.objects.bulk_create(
            [FeedbackItem(**copy.model_fields(), duplicate_of=object_of[id(original)]) for copy, original in copies],
            batch_size=BATCH_SIZE,
        )
        pairs = [
            *zip(originals, objects, strict=True),
            *((copy, obj) for (copy, _), obj in zip(copies, copy_objects, strict=True)),
        ]
        links = [through(feedbackitem_id=obj.pk, theme_id=theme.pk) for draft, obj in pairs for theme in draft.themes]
        through.objects.bulk_create(links, batch_size=BATCH_SIZE)
        # Imported a few minutes after the customer said it; last touched by the triage.
        imported = F("received_at") + timedelta(minutes=3)
        FeedbackItem.objects.filter(pk__in=[obj.pk for _, obj in pairs]).update(
            created_at=imported, updated_at=Coalesce(F("triaged_at"), imported)
        )
    untriaged = sum(1 for draft in originals if not draft.triaged)
    return len(pairs), len(copies), untriaged, len(links)
