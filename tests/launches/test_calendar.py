"""The launch calendar (12-month grid) and quarterly timeline: placement, filters, flags, links, query budgets."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from launches import selectors
from launches.choices import LaunchStatus, LaunchTeam, LaunchType
from tests.factories import make_launch
from tests.launches.pages import data_of, linked_launches, section

pytestmark = pytest.mark.django_db

YEAR = 2031  # not a leap year: 365 days
CALENDAR = "admin:launches_launch_calendar"
TIMELINE = "admin:launches_launch_timeline"
QUERY_BUDGET = 5  # session, user, the year's launches with their progress (3 today); never one per launch


def launch(day: date, **fields):
    """A documentation launch (small checklist) due on ``day``."""
    return make_launch(target_date=day, launch_type=LaunchType.DOCUMENTATION, **fields)


def shipped(day: date, **fields):
    return launch(day, status=LaunchStatus.SHIPPED, shipped_on=day, **fields)


def months_shown(response) -> dict[int, list[str]]:
    """Month number → names of the launches due in it, as the calendar's context has them."""
    return {month.first_day.month: [launch.name for launch in month.due] for month, _ in response.context["months"]}


# --- Calendar: 12 months, launches in the month of their target date ----------------------------------------------


def test_given_launches_in_several_months_when_calendar_opens_then_12_months_show_each_launch_in_its_target_month(
    admin_client,
):
    january = launch(date(YEAR, 1, 15), name="Codestral 3")
    june = launch(date(YEAR, 6, 3), name="Batch API GA")
    december = launch(date(YEAR, 12, 31), name="Year-end hotfix")
    launch(date(YEAR - 1, 12, 31), name="December of the year before")
    launch(date(YEAR + 1, 1, 1), name="January of the year after")

    response = admin_client.get(reverse(CALENDAR), {"year": YEAR})

    assert response.status_code == 200
    html = response.content.decode()
    assert months_shown(response) == {
        **{month: [] for month in range(1, 13)},
        1: ["Codestral 3"],
        6: ["Batch API GA"],
        12: ["Year-end hotfix"],
    }
    assert len(data_of(html, "launch")) == 3
    assert linked_launches(section(html, "month-1")) == {january.pk}
    assert linked_launches(section(html, "month-6")) == {june.pk}
    assert linked_launches(section(html, "month-12")) == {december.pk}
    assert ">31</span>" in section(html, "month-12")  # placed on its day
    assert "of the year before" not in html and "of the year after" not in html


def test_given_a_launch_spanning_months_when_calendar_opens_then_it_runs_through_the_months_before_its_target(
    admin_client,
):
    spring = launch(date(YEAR, 5, 20), start_date=date(YEAR, 3, 10), name="Spring launch")
    into_next_year = launch(date(YEAR + 1, 2, 1), start_date=date(YEAR, 11, 1), name="Winter launch")

    response = admin_client.get(reverse(CALENDAR), {"year": YEAR})

    html = response.content.decode()
    running = {
        month.first_day.month: [launch.pk for launch in month.running] for month, _ in response.context["months"]
    }
    assert running == {
        **{m: [] for m in range(1, 13)},
        3: [spring.pk],
        4: [spring.pk],
        11: [into_next_year.pk],
        12: [into_next_year.pk],
    }
    assert months_shown(response)[5] == ["Spring launch"]
    assert data_of(section(html, "month-4"), "running") == [str(spring.pk)]
    assert data_of(section(html, "month-12"), "running") == [str(into_next_year.pk)]
    assert data_of(section(html, "month-5"), "running") == []


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": LaunchStatus.AT_RISK}, {"risky ml"}),
        ({"status": LaunchStatus.SHIPPED}, {"shipped product"}),
        ({"team": LaunchTeam.ML}, {"risky ml", "beta ml"}),
        ({"team": LaunchTeam.ML, "status": LaunchStatus.BETA}, {"beta ml"}),
        ({"status": "party", "team": "catering"}, {"risky ml", "beta ml", "shipped product", "dev engineering"}),
    ],
    ids=["status", "status-shipped", "team", "team-and-status", "unknown-values-show-all"],
)
def test_given_launches_of_several_statuses_and_teams_when_filtering_then_only_matching_launches_show(
    params, expected, admin_client
):
    launch(date(YEAR, 2, 1), name="risky ml", status=LaunchStatus.AT_RISK, team=LaunchTeam.ML)
    launch(date(YEAR, 3, 1), name="beta ml", status=LaunchStatus.BETA, team=LaunchTeam.ML)
    shipped(date(YEAR, 4, 1), name="shipped product", team=LaunchTeam.PRODUCT)
    launch(date(YEAR, 5, 1), name="dev engineering", status=LaunchStatus.IN_DEV, team=LaunchTeam.ENGINEERING)

    for page in (CALENDAR, TIMELINE):
        response = admin_client.get(reverse(page), {"year": YEAR, **params})

        assert {launch.name for launch in response.context["launches"]} == expected, page
        html = response.content.decode()
        assert {
            name for name in ("risky ml", "beta ml", "shipped product", "dev engineering") if name in html
        } == expected


def test_given_a_filter_when_calendar_opens_then_the_year_and_tab_links_keep_it(admin_client):
    response = admin_client.get(reverse(CALENDAR), {"year": YEAR, "status": LaunchStatus.AT_RISK, "team": "ml"})

    html = response.content.decode()
    assert f"{reverse(TIMELINE)}?year={YEAR}&amp;status=at_risk&amp;team=ml" in html
    assert f"{reverse(CALENDAR)}?year={YEAR + 1}&amp;status=at_risk&amp;team=ml" in html
    assert f"{reverse(CALENDAR)}?year={YEAR}&amp;team=ml" in html  # "All statuses" drops only the status


def test_given_shipped_launches_when_calendar_opens_then_those_with_open_items_are_flagged_and_complete_ones_not(
    admin_client,
):
    honest = shipped(date(YEAR, 7, 1), name="Shipped with gaps")
    complete = shipped(date(YEAR, 8, 1), name="Shipped complete")
    complete.checklist_items.update(done_at=timezone.now())
    honest.checklist_items.filter(pk=honest.checklist_items.first().pk).update(done_at=timezone.now())
    open_items = honest.checklist_items.filter(done_at=None).count()

    response = admin_client.get(reverse(CALENDAR), {"year": YEAR})

    html = response.content.decode()
    assert f"shipped, {open_items} open" in section(html, "month-7")
    assert "shipped," not in section(html, "month-8")
    assert response.context["shipped_open"] == 1
    assert "1 shipped with open checklist items" in html


def test_given_an_at_risk_launch_when_calendar_opens_then_it_is_drawn_in_the_at_risk_colour(admin_client):
    launch(date(YEAR, 9, 9), name="Risky", status=LaunchStatus.AT_RISK)
    launch(date(YEAR, 10, 10), name="Calm", status=LaunchStatus.IN_DEV)

    html = admin_client.get(reverse(CALENDAR), {"year": YEAR}).content.decode()

    assert "lx-entry lx-s-at_risk" in section(html, "month-9")
    assert "lx-s-at_risk" not in section(html, "month-10")
    assert "1 at risk" in html


def test_given_a_year_of_launches_when_calendar_and_timeline_open_then_queries_stay_within_budget(
    admin_client, django_assert_max_num_queries
):
    for n in range(24):
        launch(date(YEAR, n % 12 + 1, 10), start_date=date(YEAR, 1, 1), name=f"Launch {n:02}")

    for page in (CALENDAR, TIMELINE):
        with django_assert_max_num_queries(QUERY_BUDGET):
            response = admin_client.get(reverse(page), {"year": YEAR})
        assert len(response.context["launches"]) == 24


def test_given_the_launch_changelist_then_it_links_to_the_calendar_and_the_timeline(admin_client):
    html = admin_client.get(reverse("admin:launches_launch_changelist")).content.decode()

    assert f'href="{reverse(CALENDAR)}"' in html
    assert f'href="{reverse(TIMELINE)}"' in html


def test_given_a_staff_user_without_launch_permission_when_opening_the_calendar_then_it_is_refused(client, user):
    client.force_login(user)

    assert client.get(reverse(CALENDAR)).status_code == 403
    assert client.get(reverse(TIMELINE)).status_code == 403


def test_given_the_query_reading_a_year_then_it_reads_only_launches_touching_that_year():
    inside = launch(date(YEAR, 6, 1))
    crossing = launch(date(YEAR + 1, 3, 1), start_date=date(YEAR, 12, 1))
    launch(date(YEAR + 1, 3, 1), start_date=date(YEAR + 1, 1, 5))
    launch(date(YEAR - 1, 12, 31), start_date=date(YEAR - 1, 1, 1))

    launches = selectors.launches_of_year(year=YEAR, today=date(YEAR, 1, 1))

    assert [launch.pk for launch in launches] == [inside.pk, crossing.pk]


# --- Timeline: bars from start to target, grouped by quarter ------------------------------------------------------


def test_given_launches_when_timeline_opens_then_bars_span_start_to_target_in_their_quarter(admin_client):
    q2 = launch(date(YEAR, 6, 30), start_date=date(YEAR, 4, 1), name="Second quarter")  # days 90..180 of 365
    whole_year = launch(date(YEAR, 12, 31), start_date=date(YEAR, 1, 1), name="Whole year")
    from_last_year = launch(date(YEAR, 2, 1), start_date=date(YEAR - 1, 12, 1), name="From last year")
    milestone = launch(date(YEAR, 8, 15), name="No start date")
    into_next_year = launch(date(YEAR + 1, 3, 1), start_date=date(YEAR, 10, 1), name="Into next year")

    response = admin_client.get(reverse(TIMELINE), {"year": YEAR})

    html = response.content.decode()
    assert linked_launches(section(html, "quarter-1")) == {from_last_year.pk}
    assert linked_launches(section(html, "quarter-2")) == {q2.pk}
    assert linked_launches(section(html, "quarter-3")) == {milestone.pk}
    assert linked_launches(section(html, "quarter-4")) == {whole_year.pk}
    assert linked_launches(section(html, "quarter-5")) == {into_next_year.pk}
    bars = {bar.launch.pk: bar for quarter in response.context["quarters"] for bar in quarter.bars}
    assert (bars[q2.pk].left, bars[q2.pk].width) == (24.66, 24.93)
    assert data_of(section(html, "quarter-2"), "left") == ["24.66"] and data_of(
        section(html, "quarter-2"), "width"
    ) == ["24.93"]
    assert (bars[whole_year.pk].left, bars[whole_year.pk].width) == (0.0, 100.0)
    assert (bars[from_last_year.pk].left, bars[from_last_year.pk].starts_before) == (0.0, True)
    assert bars[from_last_year.pk].width == 8.77  # 1 Jan .. 1 Feb: 32 days
    assert bars[milestone.pk].milestone and bars[milestone.pk].left == 61.92  # 15 Aug: day 226
    assert bars[into_next_year.pk].ends_after and bars[into_next_year.pk].left + bars[into_next_year.pk].width == 100.0
    assert "is-milestone" in section(html, "quarter-3") and "ends-after" in section(html, "quarter-5")


def test_given_a_year_when_timeline_opens_then_its_axis_has_12_months_sized_by_their_days(admin_client):
    response = admin_client.get(reverse(TIMELINE), {"year": YEAR})

    axis = response.context["axis"]
    assert [month.label for month in axis] == [
        "Jan",
        "Feb",
        "Mar",
        "Apr",
        "May",
        "Jun",
        "Jul",
        "Aug",
        "Sep",
        "Oct",
        "Nov",
        "Dec",
    ]
    assert axis[0].left == 0 and axis[1].left == 8.49 and axis[1].width == 7.67  # January 31 days, February 28
    assert round(axis[-1].left + axis[-1].width, 1) == 100.0
