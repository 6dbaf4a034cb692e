"""Every model can be browsed in the admin, with bounded queries and estimated counts on big tables."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers.models import Customer
from feedbackhub.admin_tools import EXACT_COUNT_BELOW, EstimatedCountPaginator, estimated_count
from launches.choices import LaunchType
from launches.models import Launch
from tests.factories import make_customer, make_feedback, make_launch, make_theme

pytestmark = pytest.mark.django_db

CHANGELISTS = [f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist" for model in admin.site._registry]


@pytest.fixture
def some_data():
    customers = [make_customer() for _ in range(3)]
    themes = [make_theme() for _ in range(2)]
    for index in range(30):
        item = make_feedback(customer=customers[index % 3])
        item.themes.add(themes[index % 2])
    make_launch()
    make_launch(launch_type=LaunchType.MAJOR_MODEL_RELEASE)


@pytest.mark.parametrize("url_name", CHANGELISTS)
def test_given_data_when_superuser_opens_changelist_then_it_renders_with_bounded_queries(
    url_name, admin_client, some_data, django_assert_max_num_queries
):
    with django_assert_max_num_queries(15):
        response = admin_client.get(reverse(url_name))

    assert response.status_code == 200


@pytest.mark.parametrize(("model", "model_admin"), admin.site._registry.items(), ids=lambda value: str(value))
def test_given_changelist_when_searching_or_opening_add_form_then_it_answers(
    model, model_admin, admin_client, rf, admin_user
):
    request = rf.get("/")
    request.user = admin_user
    prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"

    if model_admin.search_fields:
        assert admin_client.get(reverse(f"{prefix}_changelist"), {"q": "acme"}).status_code == 200
    if model_admin.has_add_permission(request):
        assert admin_client.get(reverse(f"{prefix}_add")).status_code == 200


def test_given_feedback_when_searching_a_word_of_the_verbatim_then_only_matches_are_listed(admin_client):
    make_feedback(verbatim="SAML single sign-on fails for our Okta tenant")
    make_feedback(verbatim="Latency on mistral-large is too high")

    response = admin_client.get(reverse("admin:feedback_feedbackitem_changelist"), {"q": "okta"})

    assert b"Okta tenant" in response.content
    assert b"Latency on mistral-large" not in response.content


def test_given_launch_added_in_admin_then_its_checklist_is_generated(admin_client):
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
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    launch = Launch.objects.get(name="Codestral 3")
    assert launch.tracker_keys == ["LIN-1", "LIN-2"]
    assert launch.checklist_items.count() == 19


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


def test_given_small_table_then_paginator_counts_exactly():
    for _ in range(3):
        make_customer()

    assert EstimatedCountPaginator(Customer.objects.all(), 50).count == 3


def test_given_table_past_the_threshold_then_paginator_uses_the_estimate_without_count_star():
    Customer.objects.bulk_create(
        Customer(name=f"Bulk {n}", domain=f"bulk{n}.example", industry="retail", region="uk", tier="startup")
        for n in range(EXACT_COUNT_BELOW + 2000)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE customers_customer")
    queryset = Customer.objects.all()

    with CaptureQueriesContext(connection) as queries:
        count = EstimatedCountPaginator(queryset, 50).count

    assert count == estimated_count(queryset)
    assert abs(count - (EXACT_COUNT_BELOW + 2000)) < 500
    assert not any("COUNT(" in query["sql"].upper() for query in queries.captured_queries)


def plan_without_seqscan(queryset) -> str:
    """The plan PostgreSQL picks when it may not read a whole table (a Seq Scan left means no index fits)."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        return queryset.explain()


@pytest.mark.parametrize(
    ("model", "model_admin"),
    [(m, ma) for m, ma in admin.site._registry.items() if ma.search_fields],
    ids=lambda value: str(value),
)
def test_given_a_search_then_every_searched_column_is_served_by_an_index(model, model_admin, rf, admin_user):
    request = rf.get("/", {"q": "acme"})
    request.user = admin_user

    queryset, _ = model_admin.get_search_results(request, model_admin.get_queryset(request), "acme")

    assert f"Seq Scan on {model._meta.db_table}" not in plan_without_seqscan(queryset)


@pytest.mark.parametrize(("model", "model_admin"), admin.site._registry.items(), ids=lambda value: str(value))
def test_given_each_choice_filter_then_an_index_serves_filter_plus_default_order(model, model_admin):
    """At a million rows a filtered page must come out of one index already in the changelist's order."""
    ordering = [name.replace("pk", "id") for name in model._meta.ordering]
    indexed = [list(index.fields) for index in model._meta.indexes if index.fields and index.condition is None]
    fields = [f for f in model_admin.list_filter if isinstance(f, str) and model._meta.get_field(f).choices]

    missing = [field for field in fields if [field, *ordering] not in [cols[: len(ordering) + 1] for cols in indexed]]

    assert missing == [], f"add models.Index(fields=[<filter>, {', '.join(map(repr, ordering))}]) for {missing}"
