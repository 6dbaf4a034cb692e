"""Launch business logic: checklist templates and the per-team checklist of each launch."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from feedbackhub.ticks import apply_tick
from launches.checklists import DEFAULT_TEMPLATES
from launches.choices import CHECKLIST_TEAM_GROUPS, ChecklistTeam
from launches.models import ChecklistItem, ChecklistTemplate, ChecklistTemplateItem, Launch
from themes.choices import TrackerState

TICK_PERMISSION = "launches.change_checklistitem"


def install_default_templates() -> int:
    """Create the default template of every launch type that has none, with its items; returns templates created."""
    created = 0
    for launch_type, teams in DEFAULT_TEMPLATES.items():
        template, was_created = ChecklistTemplate.objects.get_or_create(launch_type=launch_type)
        if not was_created:
            continue
        created += 1
        ChecklistTemplateItem.objects.bulk_create(
            ChecklistTemplateItem(template=template, team=team, title=title, position=position, due_days_before=days)
            for team, items in teams.items()
            for position, (title, days) in enumerate(items)
        )
    return created


@transaction.atomic
def generate_checklist(*, launch: Launch) -> int:
    """Add to ``launch`` every item of its type's template it does not have yet; returns items added.

    Idempotent. When the launch type changed, unticked items that came from another type's template are removed;
    ticked items and items added by hand stay.
    """
    template = ChecklistTemplate.objects.filter(launch_type=launch.launch_type).first()
    template_items = list(template.items.order_by("team", "position")) if template else []
    wanted_ids = {item.id for item in template_items}
    (
        ChecklistItem.objects.filter(launch=launch, done_at__isnull=True, template_item__isnull=False)
        .exclude(template_item_id__in=wanted_ids)
        .delete()
    )
    existing = set(ChecklistItem.objects.filter(launch=launch).values_list("team", "title"))
    new_items = [
        ChecklistItem(
            launch=launch,
            team=item.team,
            title=item.title,
            position=item.position,
            template_item=item,
            due_date=launch.target_date - timedelta(days=item.due_days_before),
        )
        for item in template_items
        if (item.team, item.title) not in existing
    ]
    ChecklistItem.objects.bulk_create(new_items)
    return len(new_items)


def launch_changed(*, launch: Launch, type_changed: bool, target_moved: bool) -> None:
    """Keep a saved launch's checklist in step with it, for every door (admin form, API): a new type regenerates the
    checklist from that type's template; a moved target date shifts the open items' due dates."""
    if type_changed:
        generate_checklist(launch=launch)
    elif target_moved:
        shift_due_dates(launch=launch)


@transaction.atomic
def create_launch(*, themes=(), **fields) -> Launch:
    """Create a launch with its checklist generated from its type's template."""
    launch = Launch(**fields)
    launch.full_clean()
    launch.save()
    if themes:
        launch.themes.set(themes)
    generate_checklist(launch=launch)
    return launch


# --- Who ticks what: each team ticks only its own items ---------------------------------------------------------


def user_teams(user) -> frozenset[str]:
    """The checklist teams ``user`` is a member of (its "Team: …" groups); read once, then cached on ``user``."""
    if user is None or not user.is_authenticated:
        return frozenset()
    if not hasattr(user, "_checklist_teams"):
        team_of = {name: team for team, name in CHECKLIST_TEAM_GROUPS.items()}
        names = user.groups.filter(name__in=list(team_of)).values_list("name", flat=True)
        user._checklist_teams = frozenset(team_of[name] for name in names)
    return user._checklist_teams


def tickable_teams(user) -> frozenset[str]:
    """The teams whose items ``user`` may tick: every team for a superuser, else the teams they are a member of.

    A member also needs the permission to change checklist items (the team groups grant it); inactive users none.
    """
    if user is None or not user.is_active:
        return frozenset()
    if user.is_superuser:
        return frozenset(ChecklistTeam.values)
    return user_teams(user) if user.has_perm(TICK_PERMISSION) else frozenset()


def can_tick(user, item: ChecklistItem) -> bool:
    """Whether ``user`` may tick or untick ``item``: only members of the item's team (and superusers) may."""
    return item.team in tickable_teams(user)


def tick_refusal(user, item: ChecklistItem) -> str | None:
    """Why ``user`` may not tick ``item`` (a message for them), or None if they may."""
    if can_tick(user, item):
        return None
    team = ChecklistTeam(item.team)
    return f"Only the {team.label} team can tick “{item.title}” (members of the group “{CHECKLIST_TEAM_GROUPS[team]}”)."


def join_team(*, user, team: str) -> None:
    """Make ``user`` a member of ``team`` (its group exists: migration 0004 creates it)."""
    user.groups.add(Group.objects.get(name=CHECKLIST_TEAM_GROUPS[ChecklistTeam(team)]))
    for cache in ("_checklist_teams", "_perm_cache", "_group_perm_cache"):  # what this user object remembered
        user.__dict__.pop(cache, None)


def set_item_done(*, item: ChecklistItem, done: bool, user, at: datetime | None = None) -> ChecklistItem:
    """Tick (or untick) a checklist item, recording who did it and when (``at``, default now).

    Raises PermissionDenied, and changes nothing, when ``user`` is not in the item's team.
    """
    if reason := tick_refusal(user, item):
        raise PermissionDenied(reason)
    if apply_tick(item, done=done, user=user, at=at):
        item.save(update_fields=["done_at", "done_by"])
    return item


def shift_due_dates(*, launch: Launch) -> int:
    """Recompute open items' due dates after the target date moved; returns items changed."""
    if launch.target_date is None:
        raise ValidationError("A launch needs a target date.")
    changed = []
    for item in launch.checklist_items.open().select_related("template_item"):
        if item.template_item is not None:
            due = launch.target_date - timedelta(days=item.template_item.due_days_before)
            if due != item.due_date:
                item.due_date = due
                changed.append(item)
    ChecklistItem.objects.bulk_update(changed, ["due_date"])
    return len(changed)


# --- Closing the loop: tracker issues (Linear, GitHub) moving ------------------------------------------------------


@transaction.atomic
def tracker_issue_changed(*, key: str, state: str, at: datetime | None = None) -> list[Launch]:
    """Record that tracker issue ``key`` is now ``state`` on every launch that lists it; returns those launches.

    A launch's status is never moved by a tracker: shipping takes its checklist and a person. What the states mean
    for it is flagged instead (``launches.selectors.tracker_flag``): all issues done but not shipped, or an issue
    reopened after shipping.
    """
    state = TrackerState(state)
    launches = list(Launch.objects.select_for_update().filter(tracker_keys__contains=[key]).order_by("id"))
    for launch in launches:
        when = (at or timezone.now()).isoformat()
        launch.tracker_states = {**launch.tracker_states, key: {"state": state.value, "at": when}}
        launch.save(update_fields=["tracker_states", "updated_at"])
    return launches
