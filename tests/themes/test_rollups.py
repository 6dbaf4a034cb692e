"""Theme rollups stay fresh: services flag stale themes, a batch job recomputes them, beat runs it."""

from decimal import Decimal

import pytest
from django_celery_beat.models import PeriodicTask

from feedback import services as feedback_services
from tests.factories import make_customer, make_feedback, make_theme
from themes import services, tasks
from themes.models import Theme

pytestmark = pytest.mark.django_db


def stale_ids() -> set[int]:
    return set(Theme.objects.filter(rollups_dirty=True).values_list("pk", flat=True))


def test_given_item_when_linked_to_a_theme_then_the_batch_job_brings_its_rollups_up_to_date():
    theme = make_theme()
    item = make_feedback(customer=make_customer(arr=Decimal("70000")))

    feedback_services.set_themes(item=item, themes=[theme])
    assert stale_ids() == {theme.pk}
    refreshed = tasks.refresh_stale_theme_rollups()

    theme.refresh_from_db()
    assert refreshed == 1
    assert (theme.feedback_count, theme.arr_impacted, theme.rollups_dirty) == (1, Decimal("70000"), False)


def test_given_linked_item_when_unlinked_then_the_theme_is_flagged():
    theme = make_theme()
    item = make_feedback()
    feedback_services.set_themes(item=item, themes=[theme])
    services.refresh_stale_rollups()

    feedback_services.set_themes(item=item, themes=[])

    assert stale_ids() == {theme.pk}


def test_given_items_on_two_themes_when_one_is_merged_into_the_other_then_both_themes_are_flagged():
    first, second = make_theme(), make_theme()
    original, copy = make_feedback(), make_feedback()
    original.themes.add(first)
    copy.themes.add(second)

    feedback_services.mark_duplicate(item=copy, original=original)

    assert stale_ids() == {first.pk, second.pk}


def test_given_linked_item_when_reassigned_to_another_customer_then_the_theme_is_flagged_and_refreshed():
    theme = make_theme()
    item = make_feedback(customer=make_customer(arr=Decimal("10000")))
    item.themes.add(theme)
    services.refresh_rollups(theme_ids=[theme.pk])

    feedback_services.assign_customer(item=item, customer=make_customer(arr=Decimal("90000")))
    services.refresh_stale_rollups()

    theme.refresh_from_db()
    assert theme.arr_impacted == Decimal("90000")


def test_given_unchanged_links_when_set_again_then_nothing_is_flagged():
    theme = make_theme()
    item = make_feedback()
    item.themes.add(theme)

    feedback_services.set_themes(item=item, themes=[theme])

    assert stale_ids() == set()


def test_given_many_stale_themes_when_batch_is_small_then_every_one_is_refreshed():
    themes = [make_theme() for _ in range(5)]
    Theme.objects.update(rollups_dirty=True)

    refreshed = services.refresh_stale_rollups(batch_size=2)

    assert refreshed == len(themes)
    assert stale_ids() == set()


def test_given_fresh_install_then_beat_runs_stale_and_full_rollup_refreshes_with_an_expiry():
    schedules = {task.task: task for task in PeriodicTask.objects.select_related("interval")}

    stale = schedules["themes.tasks.refresh_stale_theme_rollups"]
    full = schedules["themes.tasks.refresh_all_theme_rollups"]
    assert (stale.enabled, stale.interval.every, stale.interval.period) == (True, 60, "seconds")
    assert (full.enabled, full.interval.every) == (True, 3600)
    assert 0 < stale.expire_seconds <= 60
    assert 0 < full.expire_seconds <= 3600
