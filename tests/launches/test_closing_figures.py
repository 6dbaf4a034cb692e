"""The loop's figures (seed 001 "Measure and Share Impact"), checked on a small hand-made set: the share of customer
updates told, the share of the shipped themes' items that are shipped, the median days from feedback to ship."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from feedback.choices import Status
from feedback.services import mark_duplicate
from launches.loop_figures import LoopFigures, describe, loop_figures, theme_loop_figures
from launches.models import CustomerUpdate
from tests.api_support import make_user, token_client
from tests.factories import make_customer, make_feedback, make_theme
from themes.choices import ThemeStatus
from themes.models import Theme

pytestmark = pytest.mark.django_db

TODAY = date(2026, 12, 1)


def shipped_theme(name: str, shipped_at: datetime) -> Theme:
    theme = make_theme(name=name, status=ThemeStatus.SHIPPED)
    Theme.objects.filter(pk=theme.pk).update(shipped_at=shipped_at)
    theme.refresh_from_db()
    return theme


def item(theme: Theme | None, days_before_ship: int, status: str, shipped_at: datetime, **fields):
    made = make_feedback(received_at=shipped_at - timedelta(days=days_before_ship), status=status, **fields)
    if theme is not None:
        made.themes.add(theme)
    return made


def update(theme: Theme, status: str, due_on: date = TODAY) -> CustomerUpdate:
    told_at = datetime(2026, 11, 1, tzinfo=UTC) if status == "told" else None
    return CustomerUpdate.objects.create(
        theme=theme, customer=make_customer(), message="…", due_on=due_on, status=status, told_at=told_at
    )


@pytest.fixture
def hand_made():
    """Theme A (shipped June 1): items asked 10, 30, 60 days before (the last won't do), one after it shipped, and two
    duplicates merged into the first, asked 5 and 40 days before (the second still linked itself: counted once);
    5 updates: 2 told, 1 skipped, 1 overdue, 1 due today. Theme B (shipped July 1): one shipped item asked 30 days
    before, one told update. Theme C is not shipped: it counts nowhere."""
    june, july = datetime(2026, 6, 1, tzinfo=UTC), datetime(2026, 7, 1, tzinfo=UTC)
    a, b = shipped_theme("A", june), shipped_theme("B", july)
    first = item(a, 10, Status.SHIPPED, june)
    item(a, 30, Status.SHIPPED, june)
    item(a, 60, Status.WONT_DO, june)
    item(a, -9, Status.NEW, june)  # received after the ship: counted as an item, not in the median
    duplicate = item(None, 5, Status.SHIPPED, june)
    mark_duplicate(item=duplicate, original=first)
    linked_duplicate = item(a, 40, Status.SHIPPED, june)
    mark_duplicate(item=linked_duplicate, original=first)
    for status in ["told", "told", "skipped"]:
        update(a, status)
    update(a, "to_tell", due_on=TODAY - timedelta(days=1))
    update(a, "to_tell", due_on=TODAY)  # due today: not overdue yet
    item(b, 30, Status.SHIPPED, july)
    update(b, "told")
    c = make_theme(name="C", status=ThemeStatus.IN_PROGRESS)
    item(c, 3, Status.BUILDING, june)
    update(c, "told")
    return a, b, c


def test_given_a_hand_made_set_then_each_theme_and_the_whole_have_their_figures(hand_made):
    a, b, c = hand_made

    report = loop_figures(today=TODAY)

    assert report.themes[a.pk] == LoopFigures(
        updates=5, told=2, skipped=1, overdue=1, items=6, items_shipped=4, median_days_to_ship=30.0
    )
    assert report.themes[b.pk] == LoopFigures(updates=1, told=1, items=1, items_shipped=1, median_days_to_ship=30.0)
    assert c.pk not in report.themes
    assert report.overall == LoopFigures(
        updates=6, told=3, skipped=1, overdue=1, items=7, items_shipped=5, median_days_to_ship=30.0
    )
    assert report.overall.told_rate == 0.5 and report.themes[b.pk].shipped_rate == 1.0


def test_given_one_theme_then_its_figures_alone_and_a_line_that_says_them(hand_made, django_assert_num_queries):
    a, _, c = hand_made

    with django_assert_num_queries(1):
        figures = theme_loop_figures(theme=a, today=TODAY)

    assert figures.updates == 5 and figures.median_days_to_ship == 30.0
    assert describe(figures) == (
        "40% of customers told (2 of 5, 1 skipped, 1 overdue) · 67% of feedback items shipped (4 of 6)"
        " · median 30 days from feedback to ship"
    )
    assert theme_loop_figures(theme=c, today=TODAY) == LoopFigures()


def test_given_nothing_shipped_then_the_figures_are_empty():
    report = loop_figures(today=TODAY)

    assert report.overall == LoopFigures() and report.themes == {}
    assert describe(report.overall) == "no customer to tell"


def test_given_the_api_then_it_answers_the_same_figures_overall_and_for_one_theme(hand_made, admin_user):
    a, b, _ = hand_made
    api = token_client(admin_user)

    everything = api.get("/api/loop-figures/").json()
    one = api.get("/api/loop-figures/", {"theme": b.pk}).json()

    assert [row["theme"] for row in everything["themes"]] == sorted([a.pk, b.pk])
    assert everything["overall"]["items"] == 7 and everything["overall"]["told_rate"] == 0.5
    assert one["overall"]["updates"] == 1 and one["themes"][0]["median_days_to_ship"] == 30.0
    assert api.get("/api/loop-figures/", {"theme": "x"}).status_code == 400


def test_given_a_token_whose_owner_may_not_view_customer_updates_then_the_figures_are_refused(django_user_model):
    api = token_client(make_user(django_user_model, "nobody"))

    assert api.get("/api/loop-figures/").status_code == 403
