"""Usage snapshots arrive by CSV import (admin) and the API; both refresh the accounts' usage signals."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from customers.models import UsageSnapshot
from feedbackhub import events
from feedbackhub.models import DomainEvent
from tests.api_support import token_client
from tests.factories import make_customer

pytestmark = pytest.mark.django_db

IMPORT_URL = reverse("admin:customers_usagesnapshot_import")
PROCESS_URL = reverse("admin:customers_usagesnapshot_process_import")
HEADER = "Account,Day,Active users,API requests,Tokens used,Features used\n"


def day(back: int) -> str:
    return f"{timezone.localdate() - timedelta(days=back):%Y-%m-%d}"


def upload(client, content: str):
    file = SimpleUploadedFile("usage.csv", content.encode())
    return client.post(IMPORT_URL, {"resource": "0", "format": "0", "import_file": file})


def confirm(client, response):
    return client.post(PROCESS_URL, response.context["confirm_form"].initial)


def errors_by_row(response) -> dict[int, str]:
    result = response.context["result"]
    return {
        row.number: " ".join(" ".join(messages) for messages in row.error_dict.values()) for row in result.invalid_rows
    }


def two_months(account: str, *, before: int, after: int) -> str:
    """60 days of an account: ``before`` users a day, then ``after`` for the last 30 days."""
    return "".join(f"{account},{day(back)},{after if back < 30 else before},100,5000,\n" for back in range(60))


def test_given_a_file_with_bad_rows_when_previewing_then_each_bad_row_says_why_and_nothing_is_written(admin_client):
    make_customer(name="Acme", domain="acme.example")
    content = (
        HEADER
        + f"acme.example,{day(1)},12,300,9000,embeddings=40; batch=2\n"
        + f"nobody.example,{day(1)},3,0,0,\n"
        + f"acme.example,{day(-2)},3,0,0,\n"
        + f"acme.example,{day(3)},-4,0,0,\n"
        + f"acme.example,{day(4)},2,0,0,embeddings lots\n"
        + "acme.example,,2,0,0,\n"
    )

    response = upload(admin_client, content)

    errors = errors_by_row(response)
    assert sorted(errors) == [2, 3, 4, 5, 6]
    assert "No account has the CRM id, domain or name “nobody.example”" in errors[2]
    assert "has not happened yet" in errors[3]
    assert "“-4” is not a count" in errors[4]
    assert "is not a list of features and uses" in errors[5]
    assert "Fill this in" in errors[6]
    assert "confirm_form" not in response.context
    assert not UsageSnapshot.objects.exists()


def test_given_a_valid_file_when_confirmed_then_days_are_stored_and_signals_refreshed_and_health_follows(
    admin_client,
):
    acme = make_customer(name="Acme", domain="acme.example", crm_id="001ACME")
    globex = make_customer(name="Globex", domain=None, crm_id=None)
    content = HEADER + two_months("001ACME", before=10, after=5) + two_months("Globex", before=4, after=4)

    preview = upload(admin_client, content)
    assert not errors_by_row(preview)
    assert not UsageSnapshot.objects.exists()
    confirm(admin_client, preview)

    assert UsageSnapshot.objects.filter(customer=acme).count() == 60
    acme.refresh_from_db()
    globex.refresh_from_db()
    assert (acme.usage_change_30d, acme.last_active_on) == (-50.0, timezone.localdate())
    assert globex.usage_change_30d == 0.0
    (event,) = DomainEvent.objects.filter(name="usage.recorded")
    assert sorted(event.payload["customer_ids"]) == sorted([acme.pk, globex.pk])
    events.process(event.pk)  # what the worker does once the import commits
    acme.refresh_from_db()
    assert acme.health_score == 65  # 0 + 20 + 10 + 20 + 15


def test_given_a_file_imported_twice_then_its_days_are_updated_not_doubled(admin_client):
    make_customer(name="Acme", domain="acme.example")
    first = HEADER + f'acme.example,{day(1)},12,300,9000,"{{""embeddings"": 40}}"\n'
    again = HEADER + f"Acme,{day(1)},14,300,9000,embeddings=41\n"

    confirm(admin_client, upload(admin_client, first))
    confirm(admin_client, upload(admin_client, again))

    snapshot = UsageSnapshot.objects.get()
    assert (snapshot.active_users, snapshot.features_used) == (14, {"embeddings": 41})


def test_given_a_snapshot_posted_to_the_api_then_the_accounts_signals_are_refreshed(django_user_model):
    admin = django_user_model.objects.create_superuser(username="root", password="pw", email="r@x.io")
    api = token_client(admin)
    customer = make_customer()
    UsageSnapshot.objects.bulk_create(
        UsageSnapshot(customer=customer, taken_on=timezone.localdate() - timedelta(days=back), active_users=10)
        for back in range(1, 60)
    )

    response = api.post(
        "/api/usage-snapshots/",
        {"customer": customer.pk, "taken_on": day(0), "active_users": 0, "api_requests": 0, "tokens_used": 0},
        format="json",
    )

    assert response.status_code == 201, response.content
    customer.refresh_from_db()
    assert customer.last_active_on == timezone.localdate() - timedelta(days=1)
    assert customer.usage_change_7d == -14.3  # 60 users against 70 the week before
    assert api.get(f"/api/customers/{customer.pk}/").json()["usage_change_7d"] == -14.3
