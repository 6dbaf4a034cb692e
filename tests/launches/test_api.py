"""The launch API: launches get their checklist (launches.services); checklist items are ticked by their team."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from launches.choices import ChecklistTeam, LaunchStatus, LaunchType
from launches.models import ChecklistItem, Launch
from launches.services import install_default_templates, join_team
from tests.api_support import all_pages, ids, make_user, token_client
from tests.factories import make_launch, make_theme

pytestmark = pytest.mark.django_db
LAUNCHES = "/api/launches/"
ITEMS = "/api/checklist-items/"


@pytest.fixture(autouse=True)
def templates():
    install_default_templates()


@pytest.fixture
def api(admin_user):
    return token_client(admin_user)


def new_launch(**fields) -> dict:
    return {"name": "Batch API", "launch_type": "api_platform_update", "target_date": "2027-03-01", **fields}


def test_given_launches_when_listed_then_by_target_date_with_checklist_progress(api):
    later = make_launch(target_date=date.today() + timedelta(days=60))
    sooner = make_launch(target_date=date.today() + timedelta(days=10))

    rows = api.get(LAUNCHES).json()["results"]

    assert [row["id"] for row in rows] == [sooner.pk, later.pk]
    assert rows[0]["items_total"] == sooner.checklist_items.count() > 0 and rows[0]["items_done"] == 0


def test_when_a_launch_is_created_then_its_checklist_comes_from_its_type(api):
    theme = make_theme()

    response = api.post(LAUNCHES, new_launch(themes=[theme.pk]), format="json")

    assert response.status_code == 201, response.json()
    launch = Launch.objects.get(pk=response.json()["id"])
    assert launch.checklist_items.count() == response.json()["items_total"] > 0
    assert list(launch.themes.all()) == [theme]


def test_when_a_launch_moves_its_target_date_then_open_items_follow(api):
    launch = make_launch(target_date=date(2027, 3, 1))
    before = {item.pk: item.due_date for item in launch.checklist_items.all()}

    response = api.patch(f"{LAUNCHES}{launch.pk}/", {"target_date": "2027-03-11"}, format="json")

    assert response.status_code == 200, response.json()
    after = {item.pk: item.due_date for item in launch.checklist_items.all()}
    assert all(after[pk] == due + timedelta(days=10) for pk, due in before.items() if due)


def test_when_a_launch_changes_type_then_its_checklist_is_regenerated(api):
    launch = make_launch(launch_type=LaunchType.MAJOR_MODEL_RELEASE)
    major = launch.checklist_items.count()

    body = {**api.get(f"{LAUNCHES}{launch.pk}/").json(), "launch_type": "documentation"}
    response = api.put(f"{LAUNCHES}{launch.pk}/", body, format="json")

    assert response.status_code == 200, response.json()
    assert 0 < launch.checklist_items.count() < major
    assert api.delete(f"{LAUNCHES}{launch.pk}/").status_code == 204


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (new_launch(start_date="2027-04-01"), "start_date"),
        (new_launch(status="shipped"), "shipped_on"),
        (new_launch(launch_type="party"), "launch_type"),
        (new_launch(target_date="soon"), "target_date"),
        (new_launch(target_date="0001-01-02"), "target_date"),  # found by the schema fuzz: due dates fell off date.min
        (new_launch(target_date="9999-12-31"), "target_date"),
        ({"name": "No date", "launch_type": "documentation"}, "target_date"),
    ],
)
def test_given_bad_input_then_400_naming_the_field_and_nothing_written(api, body, field):
    response = api.post(LAUNCHES, body, format="json")

    assert response.status_code == 400 and field in response.json(), response.json()
    assert not Launch.objects.exists()


def test_given_launches_when_filtered_then_only_the_matching_ones(api):
    theme = make_theme()
    beta = make_launch(status=LaunchStatus.BETA, name="Beta thing")
    shipped = make_launch(status=LaunchStatus.SHIPPED, shipped_on=date.today(), target_date=date(2026, 1, 10))
    beta.themes.add(theme)

    assert ids(api.get(LAUNCHES, {"status": ["beta", "in_dev"]})) == [beta.pk]
    assert ids(api.get(LAUNCHES, {"target_date_before": "2026-06-30"})) == [shipped.pk]
    assert ids(api.get(LAUNCHES, {"theme": theme.pk})) == [beta.pk]
    assert ids(api.get(LAUNCHES, {"q": "beta thing"})) == [beta.pk]


def test_given_more_launches_then_the_list_costs_the_same_queries(api):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert api.get(LAUNCHES).status_code == 200
        return len(captured)

    make_launch().themes.add(make_theme())
    api.get(LAUNCHES)
    few = queries()
    for _ in range(10):
        make_launch().themes.add(make_theme())

    assert queries() == few <= 2  # token, the page with its progress and theme ids


# --- Checklist items ------------------------------------------------------------------------------------------------


def test_given_a_checklist_when_listed_then_launch_by_launch_in_each_teams_order_and_filtered(api):
    first, second = make_launch(), make_launch()

    rows = all_pages(api, ITEMS, {"page_size": 7})
    legal = api.get(ITEMS, {"launch": second.pk, "team": "legal"}).json()["results"]

    expected = list(ChecklistItem.objects.order_by("launch_id", "team", "position", "id").values_list("id", flat=True))
    assert [row["id"] for row in rows] == expected and {row["launch"] for row in rows} == {first.pk, second.pk}
    assert legal and {row["team"] for row in legal} == {"legal"}


def test_given_a_team_member_when_ticking_then_recorded_and_another_team_gets_403(django_user_model):
    launch = make_launch()
    lawyer = make_user(django_user_model, "lena")
    join_team(user=lawyer, team=ChecklistTeam.LEGAL)
    client = token_client(lawyer)
    legal = launch.checklist_items.filter(team=ChecklistTeam.LEGAL).first()
    sales = launch.checklist_items.filter(team=ChecklistTeam.SALES).first()

    ticked = client.patch(f"{ITEMS}{legal.pk}/", {"done": True}, format="json")
    refused = client.patch(f"{ITEMS}{sales.pk}/", {"done": True, "title": "Renamed"}, format="json")

    assert ticked.status_code == 200 and ticked.json()["done"] is True and ticked.json()["done_by"] == lawyer.pk
    assert refused.status_code == 403 and "Sales" in refused.json()["detail"]
    sales.refresh_from_db()
    assert sales.done_at is None and sales.title != "Renamed"


def test_when_an_item_is_added_by_hand_then_it_is_on_the_launch(api):
    launch = make_launch()

    response = api.post(ITEMS, {"launch": launch.pk, "team": "support", "title": "Macro for agents"}, format="json")
    again = api.post(ITEMS, {"launch": launch.pk, "team": "support", "title": "Macro for agents"}, format="json")

    assert response.status_code == 201 and again.status_code == 400, (response.json(), again.json())
    assert api.delete(f"{ITEMS}{response.json()['id']}/").status_code == 204
