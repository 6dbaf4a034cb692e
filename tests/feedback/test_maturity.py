"""Feedback maturity at capture (seed 001): the buckets' edges, the stamp from customer and usage, every door stamps
(ingest API in bulk, admin form), the backfill command, the filters."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers.models import UsageSnapshot
from feedback import maturity
from feedback.models import FeedbackItem
from integrations import ingest
from integrations.services import create_token
from tests.factories import make_customer, make_feedback

SAID_ON = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("days", "bucket"),
    [(None, ""), (-1, ""), (0, "d7"), (29, "d7"), (30, "d30"), (59, "d30"), (60, "d60"), (119, "d60")]
    + [(120, "d120"), (364, "d120"), (365, "d365"), (4000, "d365")],
)
def test_given_days_as_customer_then_the_time_bucket_starts_at_each_milestone(days, bucket):
    assert maturity.time_maturity_for(days) == bucket


@pytest.mark.parametrize(
    ("uses", "bucket"),
    [(None, ""), (0, ""), (1, "u1"), (4, "u1"), (5, "u5"), (19, "u5"), (20, "u20"), (49, "u20"), (50, "u50")]
    + [(10_000, "u50")],
)
def test_given_uses_of_a_feature_then_the_usage_bucket_starts_at_each_milestone(uses, bucket):
    assert maturity.usage_maturity_for(uses) == bucket


def customer_with_usage(*, since: date, days: dict[date, dict]):
    customer = make_customer(customer_since=since)
    for day, features in days.items():
        UsageSnapshot.objects.create(customer=customer, taken_on=day, features_used=features)
    return customer


@pytest.mark.django_db
def test_given_usage_before_on_and_after_the_day_when_stamped_then_uses_count_up_to_that_day_only():
    customer = customer_with_usage(
        since=date(2026, 4, 1),
        days={
            date(2026, 5, 30): {"fine_tuning": 3, "batch": 100},
            date(2026, 6, 1): {"fine_tuning": 2, "agents": "lots"},  # the day itself counts; a text does not
            date(2026, 6, 2): {"fine_tuning": 500},  # after it: not yet used
        },
    )

    stamp = maturity.stamp(received_at=SAID_ON, customer=customer, feature="fine_tuning")

    assert stamp == {"tenure_days": 61, "time_maturity": "d60", "feature_uses": 5, "usage_maturity": "u5"}
    assert maturity.stamp(received_at=SAID_ON, customer=customer, feature="agents")["feature_uses"] is None
    assert maturity.stamp(received_at=SAID_ON, customer=None, feature="fine_tuning") == {
        "tenure_days": None,
        "time_maturity": "",
        "feature_uses": None,
        "usage_maturity": "",
    }


@pytest.mark.django_db
def test_given_a_batch_of_many_customers_when_stamped_then_it_is_one_query():
    customers = [customer_with_usage(since=date(2025, 1, 1), days={date(2026, 5, 1): {"agents": n}}) for n in (1, 30)]
    rows = [(customer.pk, "agents", SAID_ON) for customer in customers] * 50 + [(None, "agents", SAID_ON)]

    with CaptureQueriesContext(connection) as queries:
        stamps = maturity.stamp_many(rows)

    assert len(queries) == 1
    assert [stamp["usage_maturity"] for stamp in stamps[:2]] == ["u1", "u20"]
    assert stamps[0]["time_maturity"] == "d365"
    assert stamps[-1]["time_maturity"] == ""


def ingest_post(client, key: str, items: list[dict]):
    return client.post(
        "/api/feedback/ingest/", json.dumps(items), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}"
    )


@pytest.fixture
def ingest_key(django_user_model, monkeypatch):
    monkeypatch.setattr(ingest, "publish_triage", lambda ids: None)  # no broker in this test
    owner = django_user_model.objects.create_superuser(username="ingest-owner", password="x")
    return create_token(name="Widget", owner=owner, scopes=["ingest"]).key


@pytest.mark.django_db
def test_given_items_naming_a_feature_when_ingested_through_the_api_then_each_is_stamped_and_a_redelivery_restamps(
    client, ingest_key
):
    customer = customer_with_usage(since=date(2026, 5, 20), days={date(2026, 5, 25): {"agents": 25}})
    items = [
        {
            "source": "in_app",
            "source_id": f"W-{n}",
            "received_at": SAID_ON.isoformat(),
            "verbatim": f"The agent builder loses my tools ({n})",
            "customer_domain": customer.domain,
            "feature": feature,
        }
        for n, feature in enumerate(["agents", ""])
    ]

    response = ingest_post(client, ingest_key, items)
    first, second = FeedbackItem.objects.order_by("source_id")
    as_first_sent = (first.tenure_days, first.time_maturity, first.feature_uses, first.usage_maturity)
    later = {**items[0], "received_at": (SAID_ON + timedelta(days=40)).isoformat(), "feature": ""}
    again = ingest_post(client, ingest_key, [later])
    first.refresh_from_db()

    assert response.status_code == 200, response.content
    assert response.json()["created"] == 2
    assert again.json()["updated"] == 1, again.content
    assert as_first_sent == (12, "d7", 25, "u20")
    assert (second.time_maturity, second.feature_uses, second.usage_maturity) == ("d7", None, "")
    # re-sent 40 days later without its feature: the time is stamped again, the feature and its uses are kept
    assert (first.feature, first.tenure_days, first.time_maturity, first.feature_uses, first.usage_maturity) == (
        "agents",
        52,  # 2026-05-20 to 2026-07-11 (12 days when first sent)
        "d30",
        25,
        "u20",
    )


@pytest.mark.django_db
def test_given_a_new_item_saved_in_the_admin_then_its_time_maturity_is_stamped(admin_client):
    customer = make_customer(customer_since=date(2025, 1, 1))
    form = {
        "verbatim": "Please add SCIM provisioning",
        "customer": customer.pk,
        "status": "new",
        "source": "manual",
        "source_id": "M-7",
        "received_at_0": "2026-06-01",
        "received_at_1": "10:00:00",
        "raw_payload": "{}",
        "tags": "",
    }

    response = admin_client.post(reverse("admin:feedback_feedbackitem_add"), form)

    assert response.status_code == 302
    item = FeedbackItem.objects.get(source_id="M-7")
    assert (item.tenure_days, item.time_maturity) == (516, "d365")


@pytest.mark.django_db
def test_given_items_stored_unstamped_when_backfilled_twice_then_stamped_once_and_the_second_run_writes_nothing():
    customer = customer_with_usage(since=date(2026, 5, 1), days={date(2026, 5, 2): {"batch": 60}})
    stored = [make_feedback(customer=customer, received_at=SAID_ON, feature="batch") for _ in range(3)]
    stored.append(make_feedback(received_at=SAID_ON))  # no customer: nothing to stamp

    first, second = StringIO(), StringIO()
    call_command("stamp_maturity", "--chunk", "2", stdout=first, stderr=StringIO())
    call_command("stamp_maturity", stdout=second, stderr=StringIO())

    assert {(i.time_maturity, i.usage_maturity) for i in FeedbackItem.objects.filter(customer=customer)} == {
        ("d30", "u50")
    }
    assert "3 stamped, 1 already up to date" in first.getvalue()
    assert "0 stamped, 4 already up to date" in second.getvalue()


@pytest.mark.django_db
def test_given_stamped_items_when_filtered_in_the_api_and_the_admin_then_only_that_bucket_is_listed(admin_client):
    early = make_feedback(time_maturity="d7", usage_maturity="u1")
    late = make_feedback(time_maturity="d365", usage_maturity="u50")

    api = admin_client.get("/api/feedback/", {"time_maturity": "d365"})
    page = admin_client.get(reverse("admin:feedback_feedbackitem_changelist"), {"usage_maturity__exact": "u1"})

    assert [row["id"] for row in api.json()["results"]] == [late.pk]
    assert list(page.context["cl"].result_list) == [early]


@pytest.mark.django_db
def test_given_an_item_attributed_to_a_customer_later_then_it_is_stamped_for_that_customer_one_or_many():
    from feedback import services

    received = datetime(2026, 11, 2, 10, tzinfo=UTC)
    veteran = make_customer(customer_since=date(2025, 9, 1))  # 427 days before
    UsageSnapshot.objects.create(customer=veteran, taken_on=date(2026, 11, 1), features_used={"batch": 7})
    one = make_feedback(customer=None, received_at=received, feature="batch")
    many = [make_feedback(customer=None, received_at=received, feature="batch") for _ in range(3)]

    services.assign_customer(item=one, customer=veteran)  # the "needs a customer" queue's door
    changed = services.assign_customer_many(  # a community author matched to the account
        items=FeedbackItem.objects.filter(pk__in=[item.pk for item in many]), customer=veteran
    )

    stamped = FeedbackItem.objects.filter(pk__in=[one.pk, *(item.pk for item in many)])
    assert changed == 3
    assert set(stamped.values_list("tenure_days", "time_maturity", "feature_uses", "usage_maturity")) == {
        (427, "d365", 7, "u5")
    }
