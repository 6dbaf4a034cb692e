"""Launch checklists are generated per team from the template of the launch type."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from launches import services
from launches.checklists import DEFAULT_TEMPLATES
from launches.choices import ChecklistTeam, LaunchType
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


def test_given_type_change_then_unticked_old_items_go_and_ticked_and_manual_ones_stay(user):
    launch = make_launch(launch_type=LaunchType.MAJOR_MODEL_RELEASE)
    ticked = launch.checklist_items.get(title="Launch blog post approved")
    services.set_item_done(item=ticked, done=True, user=user)
    manual = ChecklistItem.objects.create(launch=launch, team=ChecklistTeam.SALES, title="Brief the EMEA team")

    launch.launch_type = LaunchType.DOCUMENTATION
    launch.save()
    services.generate_checklist(launch=launch)

    titles = set(launch.checklist_items.values_list("title", flat=True))
    documentation = {title for items in DEFAULT_TEMPLATES[LaunchType.DOCUMENTATION].values() for title, _ in items}
    assert titles == documentation | {ticked.title, manual.title}


def test_given_open_item_when_ticked_then_who_and_when_are_recorded_and_unticking_clears_them(user):
    item = make_launch().checklist_items.first()

    services.set_item_done(item=item, done=True, user=user)
    item.refresh_from_db()
    assert item.done_by == user and item.done_at is not None

    services.set_item_done(item=item, done=False, user=user)
    item.refresh_from_db()
    assert item.done_by is None and item.done_at is None


def test_given_done_by_without_done_at_then_database_rejects_it(user):
    item = make_launch().checklist_items.first()
    item.done_by = user

    with pytest.raises(IntegrityError, match="checklist_item_done_by_needs_done_at"), transaction.atomic():
        item.save()


def test_given_target_date_moves_then_open_items_follow_and_ticked_ones_keep_their_date(user):
    launch = make_launch(launch_type=LaunchType.BUG_FIX_HOTFIX, target_date=date(2027, 1, 10))
    done = launch.checklist_items.get(title="Regression test added")
    services.set_item_done(item=done, done=True, user=user)

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


def test_given_a_past_tick_when_recorded_then_its_time_is_kept(user):
    item = make_launch().checklist_items.first()
    when = timezone.now() - timedelta(days=3)

    services.set_item_done(item=item, done=True, user=user, at=when)

    item.refresh_from_db()
    assert (item.done_by, item.done_at) == (user, when)
