"""Launch admin: launches and templates browse with bounded queries, checklists are generated and ticked in the form."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from launches.checklists import DEFAULT_TEMPLATES
from launches.choices import LaunchStatus, LaunchType
from launches.models import ChecklistTemplate, Launch
from tests.admin_plans import changelist_sorts, choice_filters, filter_gap, search_gaps
from tests.factories import make_launch

pytestmark = pytest.mark.django_db

ROWS = 20  # more rows than the page's query budget: one query per row (N+1) cannot fit in the budget
QUERY_BUDGET = 10


def template_size(launch_type: str) -> int:
    """How many checklist items the default template of ``launch_type`` has."""
    return sum(len(items) for items in DEFAULT_TEMPLATES[launch_type].values())


def test_given_owned_launches_with_ticked_items_when_changelist_opens_then_every_row_renders_within_the_query_budget(
    admin_client, django_user_model, django_assert_max_num_queries
):
    owner = django_user_model.objects.create_user(username="launch-owner", first_name="Lena", last_name="Launch")
    launches = [
        make_launch(name=f"Launch {n:02}", owner=owner, launch_type=LaunchType.DOCUMENTATION) for n in range(ROWS)
    ]
    launches[0].checklist_items.filter(pk=launches[0].checklist_items.first().pk).update(done_at=timezone.now())

    with django_assert_max_num_queries(QUERY_BUDGET):
        response = admin_client.get(reverse("admin:launches_launch_changelist"))

    rows = {launch.name: launch for launch in response.context["cl"].result_list}
    assert set(rows) == {launch.name for launch in launches}
    total = template_size(LaunchType.DOCUMENTATION)
    assert rows[launches[0].name].items_done == 1 and rows[launches[0].name].items_total == total
    assert f"1/{total}" in response.content.decode()


def test_given_every_launch_type_when_template_changelist_opens_then_each_template_shows_its_item_count(
    admin_client, django_assert_max_num_queries
):
    with django_assert_max_num_queries(QUERY_BUDGET):
        response = admin_client.get(reverse("admin:launches_checklisttemplate_changelist"))

    counts = {template.launch_type: template.item_count for template in response.context["cl"].result_list}
    assert counts == {launch_type: template_size(launch_type) for launch_type in LaunchType.values}


@pytest.mark.parametrize("model", [Launch, ChecklistTemplate], ids=lambda model: model.__name__)
def test_given_launches_admin_when_opening_the_add_form_then_it_answers(model, admin_client):
    response = admin_client.get(reverse(f"admin:launches_{model._meta.model_name}_add"))

    assert response.status_code == 200


def test_given_launch_added_in_admin_then_its_checklist_is_generated_from_its_type(admin_client):
    response = admin_client.post(
        reverse("admin:launches_launch_add"),
        {
            "name": "Codestral 3",
            "launch_type": LaunchType.MAJOR_MODEL_RELEASE,
            "status": "in_dev",
            "team": "ml",
            "target_date": "2027-02-01",
            "tracker_keys": "LIN-1,LIN-2",
            "checklist_items-TOTAL_FORMS": "0",
            "checklist_items-INITIAL_FORMS": "0",
            "partner_programs-TOTAL_FORMS": "0",  # the design partners' panel (insights.discovery_admin)
            "partner_programs-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    launch = Launch.objects.get(name="Codestral 3")
    assert launch.tracker_keys == ["LIN-1", "LIN-2"]
    assert launch.checklist_items.count() == template_size(LaunchType.MAJOR_MODEL_RELEASE)


def test_given_launch_checklist_when_owner_ticks_an_item_in_admin_then_who_and_when_are_recorded(admin_client):
    launch = make_launch(launch_type=LaunchType.BUG_FIX_HOTFIX, target_date=date(2027, 1, 10))
    items = list(launch.checklist_items.order_by("id"))
    data = {
        "name": launch.name,
        "launch_type": launch.launch_type,
        "status": launch.status,
        "team": launch.team,
        "target_date": "2027-01-10",
        "tracker_keys": "",
        "checklist_items-TOTAL_FORMS": str(len(items)),
        "checklist_items-INITIAL_FORMS": str(len(items)),
        "partner_programs-TOTAL_FORMS": "0",  # the design partners' panel (insights.discovery_admin)
        "partner_programs-INITIAL_FORMS": "0",
    }
    for index, item in enumerate(items):
        prefix = f"checklist_items-{index}-"
        data.update(
            {
                prefix + "id": item.pk,
                prefix + "launch": launch.pk,
                prefix + "team": item.team,
                prefix + "title": item.title,
                prefix + "due_date": item.due_date.isoformat(),
            }
        )
    data["checklist_items-0-done"] = "on"

    response = admin_client.post(reverse("admin:launches_launch_change", args=[launch.pk]), data)

    assert response.status_code == 302, response.content.decode()[:3000]
    ticked = launch.checklist_items.exclude(done_at=None)
    assert [item.pk for item in ticked] == [items[0].pk]
    assert ticked[0].done_by.username == "admin"


@pytest.mark.parametrize(
    ("query", "match"), [("codestral", {"name": "Codestral 3"}), ("codestral", {"description": "Ships Codestral"})]
)
def test_given_launches_when_searching_name_or_description_then_only_matches_are_listed(query, match, admin_client):
    wanted = make_launch(**match)
    make_launch(name="Batch API v2", description="Cheaper batch jobs")

    response = admin_client.get(reverse("admin:launches_launch_changelist"), {"q": query})

    assert list(response.context["cl"].result_list) == [wanted]


def test_given_a_launch_search_then_each_searched_column_is_served_by_its_index():
    assert search_gaps(Launch, {"name": "launch_name_trgm", "description": "launch_description_trgm"}) == {}


@pytest.mark.parametrize("field", choice_filters(Launch))
def test_given_a_launch_choice_filter_then_its_index_serves_the_condition(field):
    assert filter_gap(Launch, field) is None


@pytest.mark.parametrize("field", choice_filters(Launch))
def test_given_a_launch_choice_filter_then_the_page_comes_in_index_order_without_a_sort(field):
    assert changelist_sorts(Launch, field) == []


def changelist_row(html: str, name: str) -> str:
    """The changelist's table row of the launch called ``name``."""
    rows = [row for row in html.split("<tr")[1:] if f">{name}<" in row]
    assert len(rows) == 1, name
    return rows[0]


def test_given_launches_when_changelist_opens_then_at_risk_is_red_shipped_green_and_progress_is_a_bar(admin_client):
    today = timezone.localdate()
    make_launch(name="Risky", status=LaunchStatus.AT_RISK, launch_type=LaunchType.DOCUMENTATION)
    gaps = make_launch(name="Gaps", status=LaunchStatus.SHIPPED, shipped_on=today, launch_type=LaunchType.DOCUMENTATION)
    gaps.checklist_items.exclude(pk=gaps.checklist_items.first().pk).update(done_at=timezone.now())
    complete = make_launch(
        name="Complete", status=LaunchStatus.SHIPPED, shipped_on=today, launch_type=LaunchType.DOCUMENTATION
    )
    complete.checklist_items.update(done_at=timezone.now())

    html = admin_client.get(reverse("admin:launches_launch_changelist")).content.decode()

    risky, gaps_row, complete_row = (changelist_row(html, name) for name in ("Risky", "Gaps", "Complete"))
    assert re.search(r"bg-red-100[^>]*>\s*At Risk", risky)
    assert re.search(r"bg-green-100[^>]*>\s*Shipped", complete_row)
    assert 'role="progressbar"' in gaps_row and 'aria-valuenow="3"' in gaps_row and 'style="width: 75%"' in gaps_row
    assert "shipped, 1 open" in gaps_row
    assert "shipped," not in complete_row and "is-complete" in complete_row


def test_given_a_launch_with_overdue_items_when_changelist_opens_then_its_progress_says_how_many(admin_client):
    today = timezone.localdate()
    late = make_launch(name="Late", launch_type=LaunchType.DOCUMENTATION, target_date=today + timedelta(days=1))
    late.checklist_items.filter(pk__in=late.checklist_items.values("pk")[:2]).update(due_date=today - timedelta(days=1))
    make_launch(name="On time", launch_type=LaunchType.DOCUMENTATION, target_date=today + timedelta(days=30))

    html = admin_client.get(reverse("admin:launches_launch_changelist")).content.decode()

    assert "2 overdue" in changelist_row(html, "Late")
    assert "overdue" not in changelist_row(html, "On time")
