"""Launch checklists: per-team progress, overdue items, one-click ticks, and each team ticking only its own items.

Every door that ticks is tried by a member of another team: the one-click tick view and the change form's inline.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from launches.choices import ChecklistTeam, LaunchStatus, LaunchType
from launches.models import ChecklistItem, Launch
from tests.factories import make_launch
from tests.launches.pages import data_of, section

pytestmark = pytest.mark.django_db

CHECKLIST_BUDGET = 8  # session, user, permissions (2), launch, teams, items (7 today); never one per item
CHANGE_PAGE_BUDGET = 14  # the change form, its inline (owners read once), the checklist panel; never one per item


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def checklist_url(launch: Launch) -> str:
    return reverse("admin:launches_launch_checklist_page", args=[launch.pk])


def tick_url(item: ChecklistItem) -> str:
    return reverse("admin:launches_launch_tick", args=[item.launch_id, item.pk])


def first_item(launch: Launch, team: str) -> ChecklistItem:
    return launch.checklist_items.filter(team=team).order_by("position").first()


def state(item: ChecklistItem) -> tuple:
    """What a tick changes: whether, who, when."""
    item.refresh_from_db()
    return item.done_at, item.done_by_id


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def change_form_data(launch: Launch, *, done: dict[int, bool] = (), **changes) -> dict[str, str]:
    """The launch change form as the admin posts it: every field, every checklist row with its current tick.

    ``done`` sets the tick of some rows (item pk → ticked); ``changes`` overrides any other posted value.
    """
    items = list(launch.checklist_items.order_by("id"))
    data = {
        "name": launch.name,
        "launch_type": launch.launch_type,
        "status": launch.status,
        "team": launch.team,
        "target_date": launch.target_date.isoformat(),
        "tracker_keys": "",
        "checklist_items-TOTAL_FORMS": str(len(items)),
        "checklist_items-INITIAL_FORMS": str(len(items)),
    }
    for index, item in enumerate(items):
        prefix = f"checklist_items-{index}-"
        data |= {
            prefix + "id": str(item.pk),
            prefix + "launch": str(launch.pk),
            prefix + "team": item.team,
            prefix + "title": item.title,
            prefix + "due_date": item.due_date.isoformat() if item.due_date else "",
        }
        if dict(done).get(item.pk, item.done_at is not None):
            data[prefix + "done"] = "on"
    return data | changes


def row_index(launch: Launch, item: ChecklistItem) -> int:
    return list(launch.checklist_items.order_by("id").values_list("pk", flat=True)).index(item.pk)


@pytest.fixture
def launch():
    """A major model release: all five teams have items (engineering 5, marketing 4, sales 4, legal 3, support 3)."""
    return make_launch(
        launch_type=LaunchType.MAJOR_MODEL_RELEASE, target_date=timezone.localdate() + timedelta(days=60)
    )


@pytest.fixture
def editor(team_member):
    """A launch owner who may edit launches (change form) and is a member of the Marketing team only."""
    return team_member(ChecklistTeam.MARKETING, username="lena-editor", permissions=("view_launch", "change_launch"))


# --- Per-team progress and overdue items -----------------------------------------------------------------------


def test_given_some_ticked_items_when_the_checklist_opens_then_each_team_shows_its_own_done_and_total(launch, engineer):
    ticked = list(launch.checklist_items.filter(team=ChecklistTeam.ENGINEERING).order_by("position")[:2])
    ticked.append(first_item(launch, ChecklistTeam.LEGAL))
    ChecklistItem.objects.filter(pk__in=[item.pk for item in ticked]).update(done_at=timezone.now())

    response = client_for(engineer).get(checklist_url(launch))

    assert response.status_code == 200
    figures = {team.team: (team.done, team.total, team.percent) for team in response.context["checklist"]}
    assert figures == {
        ChecklistTeam.ENGINEERING: (2, 5, 40),
        ChecklistTeam.MARKETING: (0, 4, 0),
        ChecklistTeam.SALES: (0, 4, 0),
        ChecklistTeam.LEGAL: (1, 3, 33),
        ChecklistTeam.SUPPORT: (0, 3, 0),
    }
    html = response.content.decode()
    assert data_of(section(html, "team-engineering"), "progress") == ["2/5"]
    assert data_of(section(html, "team-legal"), "progress") == ["1/3"]
    assert 'style="width: 40%"' in section(html, "team-engineering")
    assert (response.context["checklist_done"], response.context["checklist_total"]) == (3, 19)
    assert "3/19 done" in html


def test_given_items_past_their_due_date_when_the_checklist_opens_then_open_ones_are_marked_overdue_with_their_date(
    engineer,
):
    today = timezone.localdate()
    launch = make_launch(launch_type=LaunchType.BUG_FIX_HOTFIX, target_date=today + timedelta(days=1))
    launch.checklist_items.filter(title="Regression test added").update(due_date=today - timedelta(days=3))
    launch.checklist_items.filter(title="Fix verified in staging").update(
        due_date=today - timedelta(days=2), done_at=timezone.now()
    )
    overdue = launch.checklist_items.get(title="Regression test added")
    ticked_late = launch.checklist_items.get(title="Fix verified in staging")
    on_time = launch.checklist_items.get(title="Rollback plan confirmed")

    response = client_for(engineer).get(checklist_url(launch))

    html = response.content.decode()
    row = section(html, f"item-{overdue.pk}")
    assert f'id="item-{overdue.pk}"' in html and "is-overdue" in html.split(f'id="item-{overdue.pk}"')[0][-80:]
    assert f"Overdue 3 days · due {overdue.due_date:%-d %b %Y}" in row
    assert "Overdue" not in section(html, f"item-{ticked_late.pk}")  # done: no longer overdue
    assert "Overdue" not in section(html, f"item-{on_time.pk}")
    assert data_of(section(html, "team-engineering"), "overdue") == ["1"]
    assert [team.overdue for team in response.context["checklist"]] == [1, 0]


def test_given_a_launch_when_the_checklist_opens_then_titles_are_whole_and_rows_do_not_repeat_launch_and_team(
    launch, engineer
):
    html = client_for(engineer).get(checklist_url(launch)).content.decode()

    item = launch.checklist_items.get(title="Evaluation benchmarks run and signed off")
    row = section(html, f"item-{item.pk}")
    assert "Evaluation benchmarks run and signed off" in row
    assert launch.name not in row and "Engineering" not in row


def test_given_a_launch_when_its_change_page_opens_then_the_checklist_comes_before_the_form(launch, admin_client):
    html = admin_client.get(reverse("admin:launches_launch_change", args=[launch.pk])).content.decode()

    assert html.index('id="checklist"') < html.index('id="launch_form"')
    assert 'id="team-engineering"' in html


# --- One click ticks, and records who and when --------------------------------------------------------------------


def test_given_a_team_member_when_ticking_their_item_in_one_click_then_who_and_when_are_recorded(launch, engineer):
    item = first_item(launch, ChecklistTeam.ENGINEERING)
    back = reverse("admin:launches_launch_change", args=[launch.pk])
    before = timezone.now()

    response = client_for(engineer).post(tick_url(item), {"done": "1", "next": back})

    assert response.status_code == 302
    assert response["Location"] == f"{back}#item-{item.pk}"
    done_at, done_by = state(item)
    assert done_by == engineer.pk and before <= done_at <= timezone.now()
    assert messages_of(response) == [f"Ticked “{item.title}”."]


def test_given_a_ticked_item_when_its_member_clicks_again_then_it_reopens(launch, engineer):
    item = first_item(launch, ChecklistTeam.ENGINEERING)
    client = client_for(engineer)
    client.post(tick_url(item), {"done": "1"})

    response = client.post(tick_url(item), {"done": "0"})

    assert response.status_code == 302
    assert state(item) == (None, None)


def test_given_a_team_member_when_the_checklist_opens_then_only_their_team_has_tick_buttons(launch, engineer):
    html = client_for(engineer).get(checklist_url(launch)).content.decode()

    own = first_item(launch, ChecklistTeam.ENGINEERING)
    other = first_item(launch, ChecklistTeam.MARKETING)
    assert f'action="{tick_url(own)}"' in section(html, f"item-{own.pk}")
    assert "<form" not in section(html, f"item-{other.pk}") and "Marketing team only" in section(html, "team-marketing")


def test_given_an_outside_next_address_when_ticking_then_it_returns_to_the_checklist_page(launch, engineer):
    item = first_item(launch, ChecklistTeam.ENGINEERING)

    response = client_for(engineer).post(tick_url(item), {"done": "1", "next": "https://evil.example/"})

    assert response["Location"] == f"{checklist_url(launch)}#item-{item.pk}"


def test_given_an_item_of_another_launch_when_ticking_through_this_launch_then_it_is_not_found(launch, engineer):
    other_launch_item = first_item(make_launch(launch_type=LaunchType.DOCUMENTATION), ChecklistTeam.ENGINEERING)
    url = reverse("admin:launches_launch_tick", args=[launch.pk, other_launch_item.pk])

    assert client_for(engineer).post(url, {"done": "1"}).status_code == 404
    assert state(other_launch_item) == (None, None)


def test_given_the_tick_address_when_opened_with_get_then_it_is_not_allowed(launch, engineer):
    assert client_for(engineer).get(tick_url(first_item(launch, ChecklistTeam.ENGINEERING))).status_code == 405


# --- Another team is refused at every door ------------------------------------------------------------------------


@pytest.mark.parametrize("done", ["1", "0"], ids=["tick", "untick"])
def test_given_another_teams_item_when_ticking_in_one_click_then_it_is_refused_with_a_message_and_nothing_changes(
    done, launch, engineer, marketer
):
    item = first_item(launch, ChecklistTeam.ENGINEERING)
    if done == "0":
        client_for(engineer).post(tick_url(item), {"done": "1"})
    before = state(item)

    response = client_for(marketer).post(tick_url(item), {"done": done})

    assert response.status_code == 302
    assert state(item) == before
    assert messages_of(response) == [
        f"Only the Engineering team can tick “{item.title}” (members of the group “Team: Engineering”)."
    ]


def test_given_a_staff_user_in_no_team_when_ticking_in_one_click_then_it_is_refused(launch, user):
    item = first_item(launch, ChecklistTeam.SUPPORT)

    response = client_for(user).post(tick_url(item), {"done": "1"})

    assert state(item) == (None, None)
    assert "Only the Support team can tick" in messages_of(response)[0]


def test_given_an_editor_of_another_team_when_ticking_in_the_change_form_then_it_is_refused_and_nothing_is_saved(
    launch, editor
):
    item = first_item(launch, ChecklistTeam.ENGINEERING)
    data = change_form_data(launch, done={item.pk: True}, name="Renamed in the same post")

    response = client_for(editor).post(reverse("admin:launches_launch_change", args=[launch.pk]), data)

    assert response.status_code == 200  # the form again, with the error
    assert "Only the Engineering team can tick" in response.content.decode()
    assert state(item) == (None, None)
    launch.refresh_from_db()
    assert launch.name != "Renamed in the same post"


def test_given_a_launch_editor_of_another_team_when_moving_an_item_to_their_team_and_ticking_it_then_it_is_refused(
    launch, editor
):
    item = first_item(launch, ChecklistTeam.ENGINEERING)
    data = change_form_data(
        launch, done={item.pk: True}, **{f"checklist_items-{row_index(launch, item)}-team": ChecklistTeam.MARKETING}
    )

    response = client_for(editor).post(reverse("admin:launches_launch_change", args=[launch.pk]), data)

    assert response.status_code == 200
    assert "Only the Engineering team can tick" in response.content.decode()
    item.refresh_from_db()
    assert (item.team, item.done_at) == (ChecklistTeam.ENGINEERING, None)


def test_given_a_launch_editor_when_ticking_their_own_teams_item_in_the_change_form_then_who_and_when_are_recorded(
    launch, editor
):
    item = first_item(launch, ChecklistTeam.MARKETING)

    response = client_for(editor).post(
        reverse("admin:launches_launch_change", args=[launch.pk]), change_form_data(launch, done={item.pk: True})
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    done_at, done_by = state(item)
    assert done_by == editor.pk and done_at is not None
    assert launch.checklist_items.exclude(done_at=None).count() == 1


def test_given_ticked_items_of_other_teams_when_an_editor_saves_the_launch_unchanged_then_they_stay_ticked(
    launch, editor, engineer
):
    item = first_item(launch, ChecklistTeam.ENGINEERING)
    client_for(engineer).post(tick_url(item), {"done": "1"})

    response = client_for(editor).post(
        reverse("admin:launches_launch_change", args=[launch.pk]), change_form_data(launch, name="New name")
    )

    assert response.status_code == 302
    assert state(item)[1] == engineer.pk


def test_given_a_team_member_without_launch_editing_rights_when_posting_the_change_form_then_it_is_refused(
    launch, marketer
):
    item = first_item(launch, ChecklistTeam.ENGINEERING)

    response = client_for(marketer).post(
        reverse("admin:launches_launch_change", args=[launch.pk]), change_form_data(launch, done={item.pk: True})
    )

    assert response.status_code == 403
    assert state(item) == (None, None)


def test_given_the_change_form_then_other_teams_tick_boxes_cannot_be_clicked_and_own_ones_can(launch, editor):
    html = client_for(editor).get(reverse("admin:launches_launch_change", args=[launch.pk])).content.decode()

    rows = list(launch.checklist_items.order_by("id"))
    own = row_index(launch, first_item(launch, ChecklistTeam.MARKETING))
    other = row_index(launch, first_item(launch, ChecklistTeam.ENGINEERING))
    checkbox = r'<input type="checkbox" name="checklist_items-{}-done"[^>]*>'
    assert 'aria-disabled="true"' not in re.search(checkbox.format(own), html).group(0)
    assert 'aria-disabled="true"' in re.search(checkbox.format(other), html).group(0)
    assert len(rows) == 19


# --- Query budgets ------------------------------------------------------------------------------------------------


def test_given_a_full_checklist_when_its_page_and_the_change_page_open_then_queries_stay_within_budget(
    launch, editor, django_assert_max_num_queries
):
    owner = editor
    launch.checklist_items.update(owner=owner)
    launch.checklist_items.filter(team=ChecklistTeam.MARKETING).update(done_at=timezone.now(), done_by=owner)
    client = client_for(editor)

    with django_assert_max_num_queries(CHECKLIST_BUDGET):
        response = client.get(checklist_url(launch))
    assert response.context["checklist_total"] == 19

    with django_assert_max_num_queries(CHANGE_PAGE_BUDGET):
        response = client.get(reverse("admin:launches_launch_change", args=[launch.pk]))
    assert response.status_code == 200 and response.context["checklist_total"] == 19


def test_given_shipped_launch_with_open_items_when_its_checklist_opens_then_it_says_so(admin_client):
    launch = make_launch(
        launch_type=LaunchType.DOCUMENTATION,
        status=LaunchStatus.SHIPPED,
        shipped_on=timezone.localdate(),
        target_date=timezone.localdate(),
    )
    launch.checklist_items.exclude(pk=launch.checklist_items.first().pk).update(done_at=timezone.now())

    html = admin_client.get(checklist_url(launch)).content.decode()

    open_item = launch.checklist_items.get(done_at=None)
    assert 'data-flag="shipped-open"' in html and "with 1 of 4 checklist items still open" in html
    assert f'<a href="#item-{open_item.pk}">{open_item.title}</a>' in html
