"""Closing the loop on launches: tracker states are recorded, never move the status, and flag disagreements."""

from __future__ import annotations

from datetime import date

import pytest

from launches.choices import LaunchStatus
from launches.selectors import tracker_flag
from launches.services import tracker_issue_changed
from tests.factories import make_launch

pytestmark = pytest.mark.django_db


def test_given_a_launch_when_all_its_issues_are_done_then_it_is_flagged_ready_but_not_shipped():
    launch = make_launch(tracker_keys=["LIN-1", "LIN-2"])

    [half_done] = tracker_issue_changed(key="LIN-1", state="done")
    [launch] = tracker_issue_changed(key="LIN-2", state="done")

    assert tracker_flag(half_done) == ""
    assert launch.status == LaunchStatus.IN_DEV
    assert launch.tracker_states["LIN-2"]["state"] == "done"
    assert tracker_flag(launch) == "Every tracker issue is done: ready to ship?"


def test_given_a_shipped_launch_when_an_issue_reopens_then_it_is_flagged():
    launch = make_launch(tracker_keys=["acme/api#7"], status=LaunchStatus.SHIPPED, shipped_on=date(2026, 12, 1))

    [changed] = tracker_issue_changed(key="acme/api#7", state="open")

    assert changed.pk == launch.pk
    assert tracker_flag(changed) == "Reopened after shipping: acme/api#7"
