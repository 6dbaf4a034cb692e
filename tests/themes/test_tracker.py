"""Closing the loop: a theme records its tracker issues' states and ships when all of them are done."""

from __future__ import annotations

import pytest

from tests.factories import make_theme
from themes.choices import ThemeStatus
from themes.services import tracker_issue_changed

pytestmark = pytest.mark.django_db


def theme_with(keys, status=ThemeStatus.IN_PROGRESS):
    theme = make_theme(status=status)
    theme.tracker_issues = list(keys)
    theme.save()
    return theme


def test_given_a_theme_with_two_issues_when_one_is_done_then_it_is_recorded_and_the_theme_does_not_ship():
    theme = theme_with(["LIN-1", "LIN-2"])

    moved = tracker_issue_changed(key="LIN-1", state="done")

    theme.refresh_from_db()
    assert moved == [] and theme.status == ThemeStatus.IN_PROGRESS
    assert theme.tracker_states["LIN-1"]["state"] == "done"


def test_given_a_theme_when_its_last_open_issue_is_done_then_it_ships():
    theme = theme_with(["LIN-1", "acme/api#7"])
    tracker_issue_changed(key="acme/api#7", state="canceled")

    moved = tracker_issue_changed(key="LIN-1", state="done")

    theme.refresh_from_db()
    assert [t.pk for t in moved] == [theme.pk] and theme.status == ThemeStatus.SHIPPED


def test_given_every_issue_canceled_then_the_theme_does_not_ship():
    theme = theme_with(["LIN-1"])

    tracker_issue_changed(key="LIN-1", state="canceled")

    theme.refresh_from_db()
    assert theme.status == ThemeStatus.IN_PROGRESS


def test_given_a_validated_theme_when_an_issue_starts_then_it_is_in_progress_but_a_hypothesis_stays():
    validated = theme_with(["LIN-1"], status=ThemeStatus.VALIDATED)
    hypothesis = theme_with(["LIN-1"], status=ThemeStatus.HYPOTHESIS)

    tracker_issue_changed(key="LIN-1", state="started")

    validated.refresh_from_db()
    hypothesis.refresh_from_db()
    assert (validated.status, hypothesis.status) == (ThemeStatus.IN_PROGRESS, ThemeStatus.HYPOTHESIS)


def test_given_a_shipped_theme_when_its_issue_reopens_then_it_is_recorded_only():
    theme = theme_with(["LIN-1"], status=ThemeStatus.SHIPPED)

    tracker_issue_changed(key="LIN-1", state="open")

    theme.refresh_from_db()
    assert theme.status == ThemeStatus.SHIPPED and theme.tracker_states["LIN-1"]["state"] == "open"


def test_given_an_unknown_state_then_it_is_refused():
    with pytest.raises(ValueError):
        tracker_issue_changed(key="LIN-1", state="Done")
