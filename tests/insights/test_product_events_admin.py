"""Product events in the admin: a read-only list, filters by event name and persona, built not to count millions."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from insights import events
from insights.models import ProductEvent
from tests.factories import make_customer

pytestmark = pytest.mark.django_db

LIST = reverse("admin:insights_productevent_changelist")
WHEN = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


@pytest.fixture
def stored():
    """Events of two accounts: known names, a custom one, two personas and none."""
    acme, globex = make_customer(name="Acme"), make_customer(name="Globex")
    rows = [
        ("e1", "value_delivered", acme, "analyst", {"report": "Q4 churn", "rows": 1200}),
        ("e2", "report_sent", acme, "admin", {"note": "x" * 300}),
        ("e3", "dashboard.pinned", globex, "", {}),
        ("e4", "report_sent", globex, "analyst", {"format": "pdf"}),
    ]
    return [
        ProductEvent.objects.create(
            event_id=event_id,
            name=name,
            customer=customer,
            persona=persona,
            properties=properties,
            occurred_at=WHEN + timedelta(minutes=n),
        )
        for n, (event_id, name, customer, persona, properties) in enumerate(rows)
    ]


def shown_ids(response) -> list[str]:
    return [row.event_id for row in response.context["cl"].result_list]


def test_given_events_then_the_list_shows_them_newest_first_with_names_accounts_and_a_properties_preview(
    admin_client, stored
):
    response = admin_client.get(LIST)

    assert response.status_code == 200
    assert shown_ids(response) == ["e4", "e3", "e2", "e1"]
    html = response.content.decode()
    assert "Value delivered" in html and "dashboard.pinned" in html
    assert reverse("admin:customers_customer_change", args=[stored[0].customer_id]) in html
    assert "&quot;report&quot;: &quot;Q4 churn&quot;" in html
    assert "x" * 120 not in html and "…" in html  # 300 characters of properties are cut to a preview


def test_given_the_filters_then_they_offer_the_stored_names_and_personas_and_narrow_the_list(admin_client, stored):
    response = admin_client.get(LIST)
    specs = {spec.title: spec for spec in response.context["cl"].filter_specs}
    choices = {title: [label for _, label in specs[title].lookup_choices] for title in ("event", "persona")}

    assert choices["event"] == ["dashboard.pinned (custom)", "Report sent", "Value delivered"]
    assert choices["persona"] == ["admin", "analyst"]
    assert shown_ids(admin_client.get(LIST, {"name": "report_sent"})) == ["e4", "e2"]
    assert shown_ids(admin_client.get(LIST, {"persona": "analyst"})) == ["e4", "e1"]
    assert shown_ids(admin_client.get(LIST, {"q": "e3"})) == ["e3"]


def test_given_the_list_then_it_never_counts_nor_reads_distinct_values_over_the_whole_table(admin_client, stored):
    with CaptureQueriesContext(connection) as queries:
        admin_client.get(LIST, {"name": "report_sent"})

    table = ProductEvent._meta.db_table
    mine = [q["sql"] for q in queries.captured_queries if table in q["sql"]]
    assert mine
    assert not [sql for sql in mine if "DISTINCT" in sql.upper()]
    assert not [sql for sql in mine if "COUNT(" in sql.upper() and "LIMIT" not in sql.upper()]
    listed = [sql for sql in mine if "WITH RECURSIVE" not in sql and "ORDER BY" in sql]
    assert listed and all(
        re.search(rf'ORDER BY "{table}"\."id" DESC( LIMIT|$)', sql) for sql in listed
    )  # the primary key's order
    assert not [sql for sql in mine if re.search(rf'"{table}"\."properties"(,| FROM)', sql)]  # only its preview


def test_given_more_rows_then_the_list_costs_the_same_queries(admin_client, stored, django_assert_max_num_queries):
    with CaptureQueriesContext(connection) as few:
        admin_client.get(LIST)
    for n in range(30):
        ProductEvent.objects.create(
            event_id=f"more-{n}", name="report_sent", customer=make_customer(), occurred_at=WHEN
        )

    with django_assert_max_num_queries(len(few.captured_queries)):
        admin_client.get(LIST)


def test_events_are_read_only_in_the_admin(admin_client, stored):
    change = reverse("admin:insights_productevent_change", args=[stored[0].pk])

    assert admin_client.get(reverse("admin:insights_productevent_add")).status_code == 403
    page = admin_client.get(change)
    assert page.status_code == 200 and "Q4 churn" in page.content.decode()
    admin_client.post(change, {"name": "report_sent"})
    assert ProductEvent.objects.get(pk=stored[0].pk).name == "value_delivered"


def test_distinct_values_reads_only_the_indexed_columns(stored):
    assert events.distinct_values("name") == ["dashboard.pinned", "report_sent", "value_delivered"]
    assert events.distinct_values("persona", limit=1) == ["admin"]
    with pytest.raises(ValueError):
        events.distinct_values("contact")
