"""Technical metrics in the admin: the read-only sample list (no full COUNT, products by a loose index scan, search
by account) and the page "Technical metrics vs feedback" (the table, the rising list, the chart, Recompute now)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError

from insights import technical_correlation
from insights.models import DashboardFigure, TechnicalSample
from insights.technical_tasks import refresh_technical_correlations
from tests.factories import make_customer
from tests.insights.test_technical_correlation import NOW, rising_case, samples

pytestmark = pytest.mark.django_db

LIST = reverse("admin:insights_technicalsample_changelist")
PAGE = reverse("admin:insights_technicalsample_correlations")
WHEN = datetime(2026, 11, 20, 9, tzinfo=UTC)


@pytest.fixture
def stored():
    acme, globex = make_customer(name="Acme", domain="acme.example"), make_customer(name="Globex")
    rows = [(acme, "mistral_large", 1000, 5), (globex, "le_chat", 200, 0), (None, "mistral_large", 9000, 40)]
    return [
        TechnicalSample.objects.create(
            customer=customer,
            product=product,
            period_start=WHEN,
            period_end=WHEN + timedelta(hours=1),
            requests=requests,
            errors=errors,
            source="csv",
        )
        for customer, product, requests, errors in rows
    ]


def shown(response) -> list[tuple]:
    return [(row.customer_id, row.product) for row in response.context["cl"].result_list]


def test_given_samples_then_the_list_shows_them_newest_first_with_rates_and_all_customers_rows(admin_client, stored):
    response = admin_client.get(LIST)

    assert response.status_code == 200
    assert shown(response) == [
        (None, "mistral_large"),
        (stored[1].customer_id, "le_chat"),
        (stored[0].customer_id, "mistral_large"),
    ]
    html = response.content.decode()
    assert "All customers" in html and "0.50%" in html and "Mistral Large" in html
    assert PAGE in html  # the link to the correlations page


def test_given_the_product_filter_and_a_search_then_they_narrow_without_counting_or_distinct(admin_client, stored):
    with CaptureQueriesContext(connection) as queries:
        by_product = admin_client.get(LIST, {"product": "le_chat"})
    searched = admin_client.get(LIST, {"q": "acme"})

    assert shown(by_product) == [(stored[1].customer_id, "le_chat")]
    assert shown(searched) == [(stored[0].customer_id, "mistral_large")]
    table = TechnicalSample._meta.db_table
    mine = [q["sql"] for q in queries.captured_queries if table in q["sql"]]
    assert not [sql for sql in mine if "SELECT DISTINCT" in sql.upper()]
    assert not [sql for sql in mine if "COUNT(" in sql.upper() and "LIMIT" not in sql.upper()]
    assert "Le Chat" in by_product.content.decode()  # the filter's choices, found by the loose index scan


@pytest.fixture
def queued(monkeypatch) -> list:
    """The recomputations queued (the broker replaced: nothing reaches a worker)."""
    calls = []
    monkeypatch.setattr(refresh_technical_correlations, "apply_async", lambda *a, **kw: calls.append(kw))
    return calls


def test_given_no_figure_yet_then_the_page_says_so_and_recompute_now_queues_the_task(admin_client, queued):
    before = admin_client.get(PAGE)
    recomputed = admin_client.post(PAGE, follow=True)

    assert before.status_code == 200 and "Not computed yet" in before.content.decode()
    assert "Recompute now</button>" in before.content.decode()
    assert recomputed.redirect_chain == [(PAGE, 302)] and len(queued) == 1
    assert "Recomputation queued" in recomputed.content.decode()
    assert not DashboardFigure.objects.filter(key="technical:correlations").exists()  # a worker does it, not the page


def test_given_a_viewer_then_recompute_now_is_not_offered_and_a_post_is_refused(client, django_user_model, queued):
    viewer = django_user_model.objects.create_user("viewer", password="pw", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_technicalsample"))
    client.force_login(viewer)

    page = client.get(PAGE)
    posted = client.post(PAGE)

    assert page.status_code == 200 and "Recompute now</button>" not in page.content.decode()
    assert posted.status_code == 403 and queued == []


def test_given_the_broker_down_then_recompute_now_says_so_without_a_server_error(admin_client, monkeypatch):
    def down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to redis. Connection refused.")

    monkeypatch.setattr(refresh_technical_correlations, "apply_async", down)

    response = admin_client.post(PAGE, follow=True)

    assert response.status_code == 200
    assert "The task queue is unreachable, so nothing was queued" in response.content.decode()


def test_given_a_figure_then_the_page_shows_the_rising_list_the_table_and_the_chart(admin_client):
    acme = make_customer(name="Acme")
    rising_case("mistral_large", acme, errors_now=5, mood_now=-0.2)
    week_end = NOW - timedelta(days=2)
    samples("codestral", acme, [(1000, week) for week in range(8)], end=week_end)
    technical_correlation.refresh(now=NOW)

    response = admin_client.get(PAGE)

    html = response.content.decode()
    assert response.status_code == 200
    rising = response.context["rising"]
    assert ("product", "mistral_large") in [(row["kind"], row["subject"]) for row in rising]
    assert "0.20% → 0.50%" in html and "+150 %" in html
    assert response.context["chosen"] == "product:mistral_large"  # the first rising product
    chart = json.loads(response.context["chart_data"])
    assert [dataset["label"] for dataset in chart["datasets"]] == ["Error rate (%)", "Mean sentiment"]
    assert "Error rate vs mean sentiment" in html and "too few periods" in html
    other = admin_client.get(PAGE, {"series": "product:codestral"})
    assert other.context["chosen_label"] == "Codestral (product)"


def test_given_a_user_without_the_view_permission_then_the_page_is_refused(client, django_user_model):
    clerk = django_user_model.objects.create_user("clerk", password="pw", is_staff=True)
    client.force_login(clerk)

    assert client.get(PAGE).status_code == 403
    assert timezone.now()  # the clerk reached the admin, not the login page
