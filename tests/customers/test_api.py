"""The customer API: accounts and usage, filtered, paged by keyset, scoped to a sales user's own accounts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.choices import Lifecycle, Tier
from customers.models import Customer, UsageSnapshot
from feedbackhub.roles import ENGINEERING
from tests.api_support import all_pages, ids, make_user, sales_user, session_client, token_client
from tests.factories import make_customer, make_feedback

pytestmark = pytest.mark.django_db
CUSTOMERS = "/api/customers/"
USAGE = "/api/usage-snapshots/"


@pytest.fixture
def api(admin_user):
    return token_client(admin_user)


def new_customer(**fields) -> dict:
    return {"name": "Acme", "industry": "technology", "region": "europe", "tier": "enterprise", **fields}


# --- Happy paths ----------------------------------------------------------------------------------------------------


def test_given_accounts_when_listed_then_by_name_with_their_segments(api):
    make_customer(name="Bravo")
    make_customer(name="Alpha", health_score=20)

    body = api.get(CUSTOMERS).json()

    assert [row["name"] for row in body["results"]] == ["Alpha", "Bravo"]
    assert body["results"][0]["is_at_risk"] is True and body["results"][0]["tier"] == "enterprise"


def test_given_an_account_when_retrieved_then_all_its_fields(api):
    customer = make_customer(name="Acme", arr=Decimal("250000"))

    body = api.get(f"{CUSTOMERS}{customer.pk}/").json()

    assert body["name"] == "Acme" and body["arr"] == "250000.00" and body["id"] == customer.pk


def test_when_an_account_is_created_then_its_domain_is_stored_bare(api):
    response = api.post(CUSTOMERS, new_customer(domain="https://www.Acme.com/about"), format="json")

    assert response.status_code == 201, response.json()
    assert Customer.objects.get(pk=response.json()["id"]).domain == "acme.com"


def test_when_an_account_is_replaced_or_patched_then_it_changes(api, admin_user):
    customer = make_customer(name="Acme")

    put = api.put(f"{CUSTOMERS}{customer.pk}/", new_customer(name="Acme Corp", tier="startup"), format="json")
    patch = api.patch(f"{CUSTOMERS}{customer.pk}/", {"account_owner": admin_user.pk}, format="json")

    assert put.status_code == 200 and patch.status_code == 200, (put.json(), patch.json())
    customer.refresh_from_db()
    assert (customer.name, customer.tier, customer.account_owner) == ("Acme Corp", "startup", admin_user)


def test_given_an_account_with_feedback_when_deleted_then_409_and_it_stays(api):
    lonely, asked = make_customer(), make_customer()
    make_feedback(customer=asked)

    assert api.delete(f"{CUSTOMERS}{lonely.pk}/").status_code == 204
    refused = api.delete(f"{CUSTOMERS}{asked.pk}/")

    assert refused.status_code == 409 and "feedback" in refused.json()["detail"]
    assert Customer.objects.filter(pk=asked.pk).exists() and not Customer.objects.filter(pk=lonely.pk).exists()


# --- Filters, ordering, pages, fields -------------------------------------------------------------------------------


def test_given_segments_when_filtered_then_only_the_matching_accounts(api, admin_user):
    big = make_customer(name="Big", tier=Tier.ENTERPRISE, arr=Decimal("900000"), account_owner=admin_user)
    mid = make_customer(name="Mid", tier=Tier.MID_MARKET, arr=Decimal("50000"), renewal_date=date(2027, 3, 1))
    small = make_customer(name="Small", tier=Tier.STARTUP, arr=Decimal("5000"), lifecycle_stage=Lifecycle.AT_RISK)

    assert ids(api.get(CUSTOMERS, {"tier": ["enterprise", "startup"]})) == [big.pk, small.pk]
    assert ids(api.get(CUSTOMERS, {"arr_min": 10000, "arr_max": 100000})) == [mid.pk]
    assert ids(api.get(CUSTOMERS, {"account_owner": admin_user.pk})) == [big.pk]
    assert ids(api.get(CUSTOMERS, {"at_risk": "true"})) == [small.pk]
    assert ids(api.get(CUSTOMERS, {"renewal_date_after": "2027-01-01"})) == [mid.pk]
    assert ids(api.get(CUSTOMERS, {"q": "mid"})) == [mid.pk]
    assert ids(api.get(CUSTOMERS, {"ordering": "-arr"})) == [big.pk, mid.pk, small.pk]


def test_given_a_bad_filter_or_ordering_then_400_naming_it(api):
    assert "tier" in api.get(CUSTOMERS, {"tier": "gold"}).json()
    assert "arr" in str(api.get(CUSTOMERS, {"arr_min": "lots"}).json())
    response = api.get(CUSTOMERS, {"ordering": "health_score"})
    assert response.status_code == 400 and "-arr" in response.json()["ordering"][0]


def test_given_many_accounts_of_one_arr_when_paged_by_arr_then_each_once(api):
    made = {make_customer(arr=Decimal("1000")).pk for _ in range(7)} | {make_customer(arr=Decimal("2000")).pk}

    rows = all_pages(api, CUSTOMERS, {"ordering": "-arr", "page_size": 2})

    assert len(rows) == 8 and {row["id"] for row in rows} == made
    assert rows[0]["arr"] == "2000.00"


def test_when_asking_for_some_fields_then_only_those(api):
    make_customer(name="Acme")

    assert api.get(CUSTOMERS, {"fields": "id,name"}).json()["results"][0].keys() == {"id", "name"}
    assert "fields" in api.get(CUSTOMERS, {"fields": "id,colour"}).json()


def test_given_more_accounts_then_the_list_costs_the_same_queries(api, django_assert_max_num_queries):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert api.get(CUSTOMERS).status_code == 200
        return len(captured)

    make_customer()
    api.get(CUSTOMERS)  # the token's last-used time is written once a minute: not part of a list
    few = queries()
    for _ in range(30):
        make_customer()

    with django_assert_max_num_queries(few):
        api.get(CUSTOMERS)
    assert few <= 2  # the token, the page


# --- Bad input ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (new_customer(health_score=150), "health_score"),
        (new_customer(arr="lots"), "arr"),
        (new_customer(arr=-5), "arr"),
        (new_customer(tier="gold"), "tier"),
        ({"industry": "technology", "region": "europe", "tier": "enterprise"}, "name"),
        (new_customer(renewal_date="2027-13-01"), "renewal_date"),
        (new_customer(colour="red"), "colour"),
        (new_customer(account_owner="someone"), "account_owner"),
    ],
)
def test_given_bad_input_when_creating_then_400_naming_the_field_and_nothing_written(api, body, field):
    response = api.post(CUSTOMERS, body, format="json")

    assert response.status_code == 400 and field in response.json(), response.json()
    assert not Customer.objects.exists()


def test_given_malformed_json_then_400_and_nothing_written(api):
    response = api.post(CUSTOMERS, '{"name": "Acme",', content_type="application/json")

    assert response.status_code == 400 and "JSON" in str(response.json())
    assert not Customer.objects.exists()


def test_given_a_taken_domain_when_another_account_claims_it_then_400_naming_domain(api):
    make_customer(domain="acme.com")

    response = api.post(CUSTOMERS, new_customer(domain="ACME.com"), format="json")

    assert response.status_code == 400 and "domain" in response.json()


# --- Who sees what --------------------------------------------------------------------------------------------------


def test_given_a_sales_user_then_token_and_session_see_only_their_accounts(django_user_model):
    marcus = sales_user(django_user_model)
    mine = make_customer(name="Mine", account_owner=marcus)
    theirs = make_customer(name="Theirs")
    UsageSnapshot.objects.create(customer=mine, taken_on=date(2026, 1, 1))
    UsageSnapshot.objects.create(customer=theirs, taken_on=date(2026, 1, 1))

    for client in (token_client(marcus), session_client(marcus)):
        assert ids(client.get(CUSTOMERS)) == [mine.pk]
        assert client.get(f"{CUSTOMERS}{theirs.pk}/").status_code == 404
        assert [row["customer"] for row in client.get(USAGE).json()["results"]] == [mine.pk]
        assert client.get(CUSTOMERS, {"q": "Theirs"}).json()["results"] == []


def test_given_a_read_token_or_a_role_without_the_table_then_403(admin_user, django_user_model):
    reader = token_client(admin_user, scopes=["read"])
    engineer = token_client(make_user(django_user_model, "eng", groups=[ENGINEERING]))

    assert reader.post(CUSTOMERS, new_customer(), format="json").status_code == 403
    assert engineer.get(USAGE).status_code == 403  # engineering reads customers, not their usage
    assert engineer.get(CUSTOMERS).status_code == 200


# --- Usage snapshots ------------------------------------------------------------------------------------------------


def test_given_usage_when_listed_filtered_and_created_then_newest_first_and_one_a_day(api):
    customer = make_customer()
    old = UsageSnapshot.objects.create(customer=customer, taken_on=date(2026, 1, 1))
    new = UsageSnapshot.objects.create(customer=customer, taken_on=date(2026, 2, 1))

    assert ids(api.get(USAGE)) == [new.pk, old.pk]
    assert ids(api.get(USAGE, {"taken_on_before": "2026-01-15"})) == [old.pk]
    created = api.post(USAGE, {"customer": customer.pk, "taken_on": "2026-03-01", "active_users": 4}, format="json")
    again = api.post(USAGE, {"customer": customer.pk, "taken_on": "2026-03-01"}, format="json")

    assert created.status_code == 201 and again.status_code == 400, again.json()
    assert UsageSnapshot.objects.count() == 3


@pytest.mark.parametrize("term", ["acme", "labs acme", "acme.example", "CRM-77", "zzz"])
def test_given_a_search_then_the_api_and_the_admin_find_the_same_accounts(admin_user, admin_client, term):
    from django.urls import reverse

    make_customer(name="Acme Labs", domain="acme.example")
    make_customer(name="Acme Corp", domain="acmecorp.example", crm_id="CRM-77")
    make_customer(name="Labs of Globex", domain="globex.example")

    in_api = {row["id"] for row in token_client(admin_user).get("/api/customers/", {"q": term}).json()["results"]}
    response = admin_client.get(reverse("admin:customers_customer_changelist"), {"q": term})
    in_admin = {customer.pk for customer in response.context["cl"].result_list}

    assert in_api == in_admin  # one search rule (customers.filtersets.search) behind both doors
    assert (term == "zzz") == (in_api == set())
