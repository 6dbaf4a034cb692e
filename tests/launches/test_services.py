"""Launch checklists are generated per team from the template of the launch type; each team ticks its own items."""

from datetime import date, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from launches import services
from launches.checklists import DEFAULT_TEMPLATES
from launches.choices import CHECKLIST_TEAM_GROUPS, ChecklistTeam, LaunchType
from launches.models import ChecklistItem, ChecklistTemplate, Launch
from tests.factories import make_launch

pytestmark = pytest.mark.django_db


def test_given_migrations_then_every_launch_type_has_a_template():
    assert set(ChecklistTemplate.objects.values_list("launch_type", flat=True)) == set(LaunchType.values)


@pytest.mark.parametrize("launch_type", LaunchType.values)
def test_given_launch_type_when_launch_is_created_then_checklist_copies_its_template_per_team(launch_type):
    target = date(2027, 3, 15)

    launch = make_launch(launch_type=launch_type, target_date=target)

    expected = {
        (team, title, target - timedelta(days=days))
        for team, items in DEFAULT_TEMPLATES[launch_type].items()
        for title, days in items
    }
    actual = set(launch.checklist_items.values_list("team", "title", "due_date"))
    assert actual == expected
    assert not launch.checklist_items.exclude(done_at=None).exists()


def test_given_major_release_then_all_five_teams_get_a_section_and_hotfix_only_two():
    major = make_launch(launch_type=LaunchType.MAJOR_MODEL_RELEASE)
    hotfix = make_launch(launch_type=LaunchType.BUG_FIX_HOTFIX)

    assert set(major.checklist_items.values_list("team", flat=True)) == set(ChecklistTeam.values)
    assert set(hotfix.checklist_items.values_list("team", flat=True)) == {
        ChecklistTeam.ENGINEERING,
        ChecklistTeam.SUPPORT,
    }


def test_given_generated_checklist_when_generating_again_then_nothing_is_added():
    launch = make_launch()
    count = launch.checklist_items.count()

    added = services.generate_checklist(launch=launch)

    assert added == 0
    assert launch.checklist_items.count() == count


def test_given_type_change_then_unticked_old_items_go_and_ticked_and_manual_ones_stay(marketer):
    launch = make_launch(launch_type=LaunchType.MAJOR_MODEL_RELEASE)
    ticked = launch.checklist_items.get(title="Launch blog post approved")
    services.set_item_done(item=ticked, done=True, user=marketer)
    manual = ChecklistItem.objects.create(launch=launch, team=ChecklistTeam.SALES, title="Brief the EMEA team")

    launch.launch_type = LaunchType.DOCUMENTATION
    launch.save()
    services.generate_checklist(launch=launch)

    titles = set(launch.checklist_items.values_list("title", flat=True))
    documentation = {title for items in DEFAULT_TEMPLATES[LaunchType.DOCUMENTATION].values() for title, _ in items}
    assert titles == documentation | {ticked.title, manual.title}


def test_given_open_item_when_ticked_then_who_and_when_are_recorded_and_unticking_clears_them(engineer):
    item = make_launch().checklist_items.filter(team=ChecklistTeam.ENGINEERING).first()

    services.set_item_done(item=item, done=True, user=engineer)
    item.refresh_from_db()
    assert item.done_by == engineer and item.done_at is not None

    services.set_item_done(item=item, done=False, user=engineer)
    item.refresh_from_db()
    assert item.done_by is None and item.done_at is None


def test_given_done_by_without_done_at_then_database_rejects_it(user):
    item = make_launch().checklist_items.first()
    item.done_by = user

    with pytest.raises(IntegrityError, match="checklist_item_done_by_needs_done_at"), transaction.atomic():
        item.save()


def test_given_target_date_moves_then_open_items_follow_and_ticked_ones_keep_their_date(engineer):
    launch = make_launch(launch_type=LaunchType.BUG_FIX_HOTFIX, target_date=date(2027, 1, 10))
    done = launch.checklist_items.get(title="Regression test added")
    services.set_item_done(item=done, done=True, user=engineer)

    launch.target_date = date(2027, 1, 20)
    launch.save()
    changed = services.shift_due_dates(launch=launch)

    days_before = {
        title: days for items in DEFAULT_TEMPLATES[LaunchType.BUG_FIX_HOTFIX].values() for title, days in items
    }
    open_items = dict(launch.checklist_items.open().values_list("title", "due_date"))
    assert open_items == {title: date(2027, 1, 20) - timedelta(days=days_before[title]) for title in open_items}
    assert changed == len(open_items) == len(days_before) - 1
    done.refresh_from_db()
    assert done.due_date == date(2027, 1, 9)


def test_given_start_after_target_when_creating_then_error_says_so_and_nothing_is_saved():
    with pytest.raises(ValidationError, match="The start date must be on or before the target date"):
        make_launch(
            start_date=timezone.now().date() + timedelta(days=90),
            target_date=timezone.now().date() + timedelta(days=30),
        )
    assert not Launch.objects.exists()


def test_given_a_past_tick_when_recorded_then_its_time_is_kept(engineer):
    item = make_launch().checklist_items.filter(team=ChecklistTeam.ENGINEERING).first()
    when = timezone.now() - timedelta(days=3)

    services.set_item_done(item=item, done=True, user=engineer, at=when)

    item.refresh_from_db()
    assert (item.done_by, item.done_at) == (engineer, when)


# --- Team membership: one group per checklist team; each team ticks only its own items ------------------------------


def test_given_migrations_then_each_checklist_team_has_its_group_with_the_permissions_to_read_and_tick():
    groups = Group.objects.filter(name__in=CHECKLIST_TEAM_GROUPS.values()).prefetch_related("permissions")

    assert sorted(group.name for group in groups) == sorted(f"Team: {team.label}" for team in ChecklistTeam)
    for group in groups:
        assert {p.codename for p in group.permissions.all()} == {
            "view_launch",
            "view_checklistitem",
            "change_checklistitem",
        }, group.name


def test_given_team_members_then_each_may_tick_only_items_of_their_own_team(team_member):
    launch = make_launch(launch_type=LaunchType.MAJOR_MODEL_RELEASE)
    items = {team: launch.checklist_items.filter(team=team).first() for team in ChecklistTeam}
    members = {team: team_member(team) for team in ChecklistTeam}

    allowed = {
        (who, team)
        for who, member in members.items()
        for team, item in items.items()
        if services.can_tick(member, item)
    }

    assert allowed == {(team, team) for team in ChecklistTeam}


def test_given_a_member_of_two_teams_then_they_may_tick_both_teams_items(team_member):
    launch = make_launch(launch_type=LaunchType.MAJOR_MODEL_RELEASE)
    member = team_member(ChecklistTeam.LEGAL)
    services.join_team(user=member, team=ChecklistTeam.SALES)

    ticks = {
        team for team in ChecklistTeam if services.can_tick(member, launch.checklist_items.filter(team=team).first())
    }

    assert ticks == {ChecklistTeam.LEGAL, ChecklistTeam.SALES}


def test_given_a_superuser_then_they_may_tick_every_team_and_an_inactive_member_none(admin_user, team_member):
    launch = make_launch(launch_type=LaunchType.MAJOR_MODEL_RELEASE)
    inactive = team_member(ChecklistTeam.SUPPORT)
    inactive.is_active = False

    assert all(services.can_tick(admin_user, item) for item in launch.checklist_items.all())
    assert not services.can_tick(inactive, launch.checklist_items.filter(team=ChecklistTeam.SUPPORT).first())
    assert not services.can_tick(None, launch.checklist_items.first())


def test_given_a_team_group_without_the_change_permission_then_its_members_may_not_tick(team_member):
    item = make_launch().checklist_items.filter(team=ChecklistTeam.SUPPORT).first()
    member = team_member(ChecklistTeam.SUPPORT)
    Group.objects.get(name=CHECKLIST_TEAM_GROUPS[ChecklistTeam.SUPPORT]).permissions.clear()

    assert not services.can_tick(get_user_model().objects.get(pk=member.pk), item)


@pytest.mark.parametrize("done", [True, False], ids=["tick", "untick"])
def test_given_another_teams_item_when_setting_it_done_then_permission_is_denied_and_nothing_changes(
    done, engineer, marketer
):
    item = make_launch().checklist_items.filter(team=ChecklistTeam.ENGINEERING).first()
    if not done:
        services.set_item_done(item=item, done=True, user=engineer)
    before = ChecklistItem.objects.values("done_at", "done_by").get(pk=item.pk)

    with pytest.raises(PermissionDenied, match="Only the Engineering team can tick"):
        services.set_item_done(item=item, done=done, user=marketer)

    assert ChecklistItem.objects.values("done_at", "done_by").get(pk=item.pk) == before
