"""Technical metrics intake: POST /api/technical-metrics/ (one or a batch), precise 400s, an idempotent upsert on
account, product and period_start (the all-customers row too), through ``insights.technical.record_samples``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from customers.models import Customer
from insights import technical
from insights.models import TechnicalSample
from tests.api_support import token_client
from tests.factories import make_customer

pytestmark = pytest.mark.django_db

URL = "/api/technical-metrics/"


@pytest.fixture
def api(django_user_model):
    """A monitoring system's client: an ingest token of a user allowed to add technical samples (nothing else)."""
    user = django_user_model.objects.create_user(username="monitoring", password="pw", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="add_technicalsample"))
    return token_client(user, scopes=("ingest",))


@pytest.fixture
def acme() -> Customer:
    return make_customer(name="Acme", domain="acme.example", crm_id="001ACME")


def sample(**fields) -> dict:
    return {
        "customer_domain": "acme.example",
        "product": "mistral_large",
        "period_start": "2026-11-20T09:00:00+01:00",
        "period_end": "2026-11-20T10:00:00+01:00",
        "requests": 12000,
        "errors": 36,
        "latency_p50_ms": 180.5,
        "latency_p95_ms": 950,
        **fields,
    }


def test_given_a_sample_then_it_is_stored_as_sent(api, acme):
    response = api.post(URL, sample(), format="json")

    assert response.status_code == 201, response.content
    stored = TechnicalSample.objects.get()
    assert response.json()["items"] == [
        {
            "index": 0,
            "status": "created",
            "product": "mistral_large",
            "period_start": "2026-11-20T08:00:00+00:00",
            "id": stored.pk,
            "customer": acme.pk,
        }
    ]
    assert (stored.customer, stored.product, stored.requests, stored.errors) == (acme, "mistral_large", 12000, 36)
    assert stored.period_start == datetime(2026, 11, 20, 8, tzinfo=UTC)
    assert (stored.latency_p50_ms, stored.latency_p95_ms, stored.source) == (180.5, 950.0, "api")
    assert stored.error_rate == pytest.approx(0.003)


def test_given_the_same_sample_again_then_it_is_unchanged_and_new_figures_update_the_one_row(api, acme):
    first = api.post(URL, sample(), format="json")
    again = api.post(URL, sample(), format="json")
    corrected = api.post(URL, sample(errors=40, latency_p95_ms=990), format="json")

    assert (first.status_code, again.status_code, corrected.status_code) == (201, 200, 200)
    assert again.json()["unchanged"] == 1 and again.json()["items"][0]["id"] == first.json()["items"][0]["id"]
    assert corrected.json()["updated"] == 1
    stored = TechnicalSample.objects.get()
    assert (stored.errors, stored.latency_p95_ms) == (40, 990.0)


def test_given_a_sample_for_all_customers_twice_then_it_is_one_row_nulls_not_distinct(api, acme):
    everyone = sample(customer_domain=None)
    del everyone["customer_domain"]

    statuses = [api.post(URL, everyone, format="json").json()["items"][0]["status"] for _ in range(2)]

    assert statuses == ["created", "unchanged"]
    assert TechnicalSample.objects.filter(customer__isnull=True).count() == 1


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"errors": 13000}, "errors", "at most the requests"),
        ({"period_end": "2026-11-20T08:00:00+01:00"}, "period_end", "after period_start"),
        ({"period_end": "2026-11-30T10:00:00+01:00"}, "period_end", "at most 7 days"),
        ({"period_start": "2026-11-20T09:00:00"}, "period_start", "time zone"),
        ({"requests": "12000"}, "requests", "valid integer"),
        ({"requests": -1}, "requests", "greater than or equal to 0"),
        ({"latency_p95_ms": 100}, "latency_p95_ms", "below the median"),
        ({"latency_p50_ms": "fast"}, "latency_p50_ms", "JSON number"),
        ({"product": "Mistral Large"}, "product", "not a product slug"),
        ({"customer_domain": "nobody.example"}, "customer_domain", "No account has customer_domain"),
        ({"customer_crm_id": "001ACME"}, "customer", "Name the account once"),
        ({"colour": "red"}, "colour", "Unknown field"),
    ],
)
def test_given_a_wrong_sample_then_400_names_the_field_and_nothing_is_stored(api, acme, fields, field, message):
    response = api.post(URL, sample(**fields), format="json")

    assert response.status_code == 400, response.content
    assert message in " ".join(response.json()[field]), response.json()
    assert response.json()["item"]["status"] == "rejected"
    assert not TechnicalSample.objects.exists()


def test_given_a_period_in_the_future_then_it_is_refused(api, acme):
    later = timezone.now() + timedelta(hours=2)

    response = api.post(
        URL,
        sample(period_start=later.isoformat(), period_end=(later + timedelta(hours=1)).isoformat()),
        format="json",
    )

    assert response.status_code == 400 and "in the future" in response.json()["period_start"][0]


def test_given_a_batch_then_each_sample_stands_alone_and_a_repeated_key_is_rejected_naming_the_first(api, acme):
    other = sample(period_start="2026-11-20T10:00:00+01:00", period_end="2026-11-20T11:00:00+01:00")

    response = api.post(URL, {"items": [sample(), other, sample(errors=99_999), sample(requests=5000)]}, format="json")

    body = response.json()
    assert response.status_code == 200
    assert [line["status"] for line in body["items"]] == ["created", "created", "rejected", "rejected"]
    assert (body["created"], body["rejected"]) == (2, 2)
    assert "items[0]" in body["items"][3]["reason"]
    assert TechnicalSample.objects.count() == 2


def test_given_a_batch_with_only_bad_samples_then_400_with_the_errors_by_item(api, acme):
    response = api.post(URL, [sample(errors=-1), sample(product="")], format="json")

    assert response.status_code == 400
    assert "items[0].errors" in response.json() and "items[1].product" in response.json()


def test_given_a_body_that_is_not_a_sample_then_400_and_an_empty_batch_too(api, acme):
    assert api.post(URL, "12", content_type="application/json").status_code == 400
    assert "empty" in api.post(URL, [], format="json").json()["items"][0]


def test_given_a_token_without_the_permission_then_403(django_user_model, acme):
    user = django_user_model.objects.create_user(username="nobody", password="pw", is_staff=True)

    response = token_client(user, scopes=("ingest",)).post(URL, sample(), format="json")

    assert response.status_code == 403


def test_given_the_service_with_customer_id_and_crm_id_then_both_name_the_account(acme):
    results = technical.record_samples(
        items=[sample(customer_domain="", customer=acme.pk), sample(customer_domain="", customer_crm_id="001ACME")]
    )

    assert [r.status for r in results] == ["created", "rejected"]  # the same key twice: the second is refused
    assert results[0].customer == acme.pk


def test_given_a_dry_run_then_nothing_is_written():
    results = technical.record_samples(items=[{**sample(), "customer_domain": ""}], write=False)

    assert results[0].status == "created" and not TechnicalSample.objects.exists()
