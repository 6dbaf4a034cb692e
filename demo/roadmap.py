"""Themes and launches of the demo: created through the apps' services, then partly verified and ticked.

Themes get their verify-before-build checklist from ``create_theme`` and launches their checklists from
``create_launch``; the demo ticks them as far as their status makes believable.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from demo.accounts import BATCH_SIZE
from demo.draw import midnight
from demo.vocabulary import VOCABULARY as V
from demo.vocabulary import LaunchSpec
from launches.choices import ChecklistTeam, LaunchStatus
from launches.models import ChecklistItem, Launch
from launches.services import create_launch, set_item_done
from themes.choices import ThemeStatus
from themes.models import Theme, ThemeVerification
from themes.services import create_theme, set_step_done


def create_themes(*, rng: random.Random, today: date, users: Mapping[str, Any]) -> dict[str, Theme]:
    """The 20 themes (through ``create_theme``, so each has its checklist), with verification partly ticked."""
    themes: dict[str, Theme] = {}
    for spec in V.themes:
        theme = create_theme(
            name=spec.name,
            description=spec.description,
            problem_statement=spec.problem_statement,
            owner=users[spec.owner],
            status=spec.status,
        )
        theme.tracker_issues = list(spec.tracker_issues)
        themes[spec.topic] = theme
    Theme.objects.bulk_update(themes.values(), ["tracker_issues"])
    ticked_by_status = {
        ThemeStatus.HYPOTHESIS: (0, 2),
        ThemeStatus.VALIDATED: (6, 8),
        ThemeStatus.IN_PROGRESS: (7, 8),
        ThemeStatus.SHIPPED: (8, 8),
    }
    segments = ("financial services", "healthcare", "EU enterprise", "North American mid-market", "APAC", "tech")
    steps = []
    for spec in V.themes:
        theme = themes[spec.topic]
        low, high = ticked_by_status[ThemeStatus(spec.status)]
        ticked = rng.randint(low, high)
        started = midnight(today) - timedelta(days=rng.randint(60, 240))
        for step in ThemeVerification.objects.filter(theme=theme).order_by("position"):
            if step.position >= ticked:
                break
            asked = rng.randint(12, 30)
            done_at = min(midnight(today), started + timedelta(days=step.position * rng.randint(3, 9)))
            step.notes = rng.choice(V.verification_notes).format(
                n=asked, k=rng.randint(asked // 2 + 1, asked), segment=rng.choice(segments)
            )
            set_step_done(step=step, done=True, user=theme.owner, at=done_at)
            steps.append(step)
    ThemeVerification.objects.bulk_update(steps, ["notes"])
    return themes


def create_launches(
    *, rng: random.Random, today: date, users: Mapping[str, Any], themes: Mapping[str, Theme]
) -> tuple[int, int, int]:
    """The 12 launches (through ``create_launch``, so each gets its checklist), owners set, items partly ticked."""
    launches: list[tuple[LaunchSpec, Launch]] = []
    for spec in V.launches:
        launch = create_launch(
            name=spec.name,
            description=spec.description,
            launch_type=spec.launch_type,
            status=spec.status,
            team=spec.team,
            owner=users[spec.owner],
            start_date=today + timedelta(days=spec.start_offset),
            target_date=today + timedelta(days=spec.target_offset),
            shipped_on=today + timedelta(days=spec.shipped_offset) if spec.shipped_offset is not None else None,
            tracker_keys=list(spec.tracker_keys),
            themes=[themes[topic] for topic in spec.themes],
        )
        launches.append((spec, launch))

    items_total = 0
    owned, ticked = [], []
    for spec, launch in launches:
        items = list(launch.checklist_items.order_by("team", "position"))
        items_total += len(items)
        left_open = rng.choice(items) if spec.status == LaunchStatus.SHIPPED and rng.random() < 0.35 else None
        for item in items:
            if item.team == ChecklistTeam.ENGINEERING and rng.random() < 0.7:
                owner = launch.owner
            else:
                owner = users[V.checklist_owners.get(item.team) or rng.choice(V.checklist_team_people[item.team])]
            item.owner = owner
            owned.append(item)
            if not _checklist_item_done(rng=rng, spec=spec, item=item, today=today) or item is left_open:
                continue
            ticker = owner  # the item's owner is in its team: only a team ticks its own items
            last = launch.shipped_on or today - timedelta(days=1)
            day = min(item.due_date - timedelta(days=rng.randint(0, 4)), last)
            done_at = midnight(day) + timedelta(hours=rng.randint(8, 18), minutes=rng.randint(0, 59))
            set_item_done(item=item, done=True, user=ticker, at=done_at)
            ticked.append(item)
    ChecklistItem.objects.bulk_update(owned, ["owner"], batch_size=BATCH_SIZE)
    return len(launches), items_total, len(ticked)


def _checklist_item_done(*, rng: random.Random, spec: LaunchSpec, item: ChecklistItem, today: date) -> bool:
    """Shipped launches are (nearly) complete; others are ticked up to about today, less so when at risk."""
    if spec.status == LaunchStatus.SHIPPED:
        return True
    if item.due_date < today:
        return rng.random() < (0.45 if spec.status == LaunchStatus.AT_RISK else 0.9)
    if item.due_date <= today + timedelta(days=14):
        return rng.random() < 0.35
    return rng.random() < 0.08
