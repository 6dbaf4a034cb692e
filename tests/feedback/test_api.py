"""The feedback API: writes through feedback.services, filters on index, keyset pages, a sales user's accounts only."""

from __future__ import annotations

import json
from base64 import b64encode
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from customers.choices import Tier
from feedback.choices import Category, Status
from feedback.models import FeedbackItem
from tests.api_support import all_pages, ids, sales_user, session_client, token_client
from tests.factories import make_customer, make_feedback, make_theme

pytestmark = pytest.mark.django_db
FEEDBACK = "/api/feedback/"


@pytest.fixture
def api(admin_user):
    return token_client(admin_user)


def new_item(**fields) -> dict:
    return {
        "source": "zendesk",
        "source_id": "ZD-1",
        "verbatim": "Batch jobs time out",
        "received_at": "2026-11-02T10:00:00Z",
        **fields,
    }


def url(item) -> str:
    return f"{FEEDBACK}{item.pk}/"


# --- Happy paths ----------------------------------------------------------------------------------------------------


def test_given_feedback_when_listed_then_newest_first_with_themes_and_without_the_payload(api):
    theme = make_theme()
    old = make_feedback(received_at=timezone.now() - timedelta(days=1), raw_payload={"big": "x"})
    new = make_feedback()
    old.themes.add(theme)

    rows = api.get(FEEDBACK).json()["results"]

    assert [row["id"] for row in rows] == [new.pk, old.pk]
    assert rows[1]["themes"] == [theme.pk] and "raw_payload" not in rows[1]
    assert api.get(url(old)).json()["raw_payload"] == {"big": "x"}


def test_when_feedback_is_created_then_through_the_service_with_its_themes(api):
    customer, theme = make_customer(), make_theme()

    response = api.post(
        FEEDBACK, new_item(customer=customer.pk, themes=[theme.pk], sentiment_score=-0.8), format="json"
    )

    assert response.status_code == 201, response.json()
    item = FeedbackItem.objects.get(pk=response.json()["id"])
    assert item.sentiment_label == "negative" and item.status == Status.NEW  # the label follows the score
    assert list(item.themes.all()) == [theme]
    theme.refresh_from_db()
    assert theme.rollups_dirty  # linked through set_themes: the rollup job recounts it


def test_when_feedback_is_created_with_a_feature_then_the_hub_stamps_maturity_and_a_client_cannot_set_it(api):
    customer = make_customer(customer_since=timezone.now().date() - timedelta(days=400))

    response = api.post(
        FEEDBACK,
        new_item(customer=customer.pk, feature="batch", time_maturity="d7", tenure_days=3, usage_maturity="u50"),
        format="json",
    )

    assert response.status_code == 201, response.json()
    row = response.json()
    assert (row["feature"], row["time_maturity"], row["usage_maturity"]) == ("batch", "d365", "")
    assert row["tenure_days"] >= 365 and row["feature_uses"] is None  # from customer_since; no usage recorded
    patched = api.patch(url(FeedbackItem.objects.get(pk=row["id"])), {"time_maturity": "d7"}, format="json").json()
    assert patched["time_maturity"] == "d365"


def test_when_feedback_is_replaced_or_patched_then_the_workflow_moves_it(api):
    item = make_feedback()
    body = api.get(url(item)).json()

    put = api.put(url(item), {**body, "status": "reviewing", "category": "bug"}, format="json")
    patch = api.patch(url(item), {"status": "validated", "summary": "Timeouts"}, format="json")

    assert put.status_code == 200 and patch.status_code == 200, (put.json(), patch.json())
    item.refresh_from_db()
    assert (item.status, item.category, item.summary) == (Status.VALIDATED, Category.BUG, "Timeouts")


def test_when_feedback_is_deleted_then_through_the_service(api):
    theme = make_theme()
    item, duplicate = make_feedback(), make_feedback()
    item.themes.add(theme)
    FeedbackItem.objects.filter(pk=duplicate.pk).update(duplicate_of=item)

    assert api.delete(url(item)).status_code == 204

    duplicate.refresh_from_db()
    theme.refresh_from_db()
    assert duplicate.duplicate_of is None and theme.rollups_dirty


# --- The rules of the services --------------------------------------------------------------------------------------


def test_given_a_move_the_workflow_refuses_then_400_naming_the_allowed_moves_and_nothing_saved(api):
    item = make_feedback()

    response = api.patch(url(item), {"status": "shipped", "summary": "changed"}, format="json")

    assert response.status_code == 400
    assert "Reviewing" in response.json()["status"][0] and "Validated" in response.json()["status"][0]
    item.refresh_from_db()
    assert item.status == Status.NEW and item.summary == ""


def test_given_a_new_item_when_created_in_another_status_then_400_naming_status(api):
    response = api.post(FEEDBACK, new_item(status="shipped"), format="json")

    assert response.status_code == 400 and "status" in response.json()
    assert not FeedbackItem.objects.exists()


def test_given_a_recorded_item_when_its_words_change_then_400_naming_them(api):
    item = make_feedback(verbatim="What they said")

    response = api.patch(url(item), {"verbatim": "What we wish they said"}, format="json")

    assert response.status_code == 400 and "verbatim" in response.json()
    assert api.patch(url(item), {"verbatim": "What they said"}, format="json").status_code == 200


def test_given_a_duplicate_chain_then_it_stays_one_level_and_an_own_link_is_refused(api):
    root, middle, item = make_feedback(), make_feedback(), make_feedback()
    api.patch(url(middle), {"duplicate_of": root.pk}, format="json")

    assert api.patch(url(item), {"duplicate_of": middle.pk}, format="json").status_code == 200
    refused = api.patch(url(root), {"duplicate_of": middle.pk}, format="json")

    item.refresh_from_db()
    assert item.duplicate_of == root
    assert refused.status_code == 400 and "duplicate_of" in refused.json()


# --- Filters, pages, fields -----------------------------------------------------------------------------------------


def test_given_feedback_when_filtered_then_only_the_matching_items(api, admin_user):
    big = make_customer(tier=Tier.ENTERPRISE, account_owner=admin_user, name="Globex")
    small = make_customer(tier=Tier.STARTUP, arr=5000)
    theme = make_theme()
    bug = make_feedback(customer=big, category=Category.BUG, received_at=timezone.now() - timedelta(days=40))
    ask = make_feedback(customer=small, category=Category.FEATURE_REQUEST, tags=["sso"], verbatim="We need SSO")
    ask.themes.add(theme)

    assert ids(api.get(FEEDBACK, {"category": "bug"})) == [bug.pk]
    assert ids(api.get(FEEDBACK, {"status": ["new", "reviewing"]})) == [ask.pk, bug.pk]
    assert ids(api.get(FEEDBACK, {"customer_tier": "startup"})) == [ask.pk]
    assert ids(api.get(FEEDBACK, {"account_owner": admin_user.pk})) == [bug.pk]
    assert ids(api.get(FEEDBACK, {"arr_max": 10000})) == [ask.pk]
    assert ids(api.get(FEEDBACK, {"theme": theme.pk})) == [ask.pk]
    assert ids(api.get(FEEDBACK, {"received_at_before": (timezone.now() - timedelta(days=30)).date()})) == [bug.pk]
    assert ids(api.get(FEEDBACK, {"q": "sso"})) == [ask.pk]
    assert ids(api.get(FEEDBACK, {"q": "globex"})) == [bug.pk]  # the customer's name
    assert ids(api.get(FEEDBACK, {"customer": small.pk})) == [ask.pk]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "done"}, "status"),
        ({"received_at_after": "yesterday"}, "received_at"),
        ({"received_at_before": "9999-12-31T23:00:00-05:00"}, "received_at"),  # past year 9999 in UTC
        ({"theme": "x"}, "theme"),
        ({"customer": "1.5"}, "customer"),
        ({"customer": str(2**63)}, "customer"),  # past bigint
        ({"arr_min": "1e1000000"}, "arr"),  # past numeric
    ],
)
def test_given_a_bad_filter_then_400_naming_it(api, params, field):
    response = api.get(FEEDBACK, params)

    assert response.status_code == 400 and field in str(response.json()), response.json()


def test_given_items_at_one_instant_when_paged_both_ways_then_each_once(api):
    at = timezone.now()
    made = [make_feedback(received_at=at).pk for _ in range(5)] + [make_feedback(received_at=at - timedelta(1)).pk]

    forward = all_pages(api, FEEDBACK, {"page_size": 2})
    last = api.get(FEEDBACK, {"page_size": 2, "ordering": "received_at"}).json()
    back = api.get(api.get(last["next"]).json()["previous"]).json()

    assert [row["id"] for row in forward] == sorted(made[:5], reverse=True) + [made[5]]
    assert [row["id"] for row in back["results"]] == [row["id"] for row in last["results"]]


@pytest.mark.parametrize(
    "position",
    [
        '["yesterday","7"]',
        '["2026-01-01T00:00:00Z","x"]',
        '["1"]',
        "{",
        "[null,1]",
        '["2026-01-01T00:00:00Z","9223372036854775808"]',
        '["2026-01-01T00:00:00Z\\u0000","1"]',
    ],
)
def test_given_a_forged_cursor_then_404_not_500(api, position):
    make_feedback()
    cursor = b64encode(urlencode({"p": position}).encode()).decode()

    response = api.get(FEEDBACK, {"cursor": cursor})

    assert response.status_code == 404 and response.json()["detail"] == "Invalid cursor"


def test_given_an_offset_postgresql_refuses_then_it_is_compared_in_utc_not_sent(api):
    make_feedback()
    offset = "0722-10-19T19:56:20-18:19"  # -18:19: past PostgreSQL's ±16 h
    cursor = b64encode(urlencode({"p": json.dumps([offset, "1"])}).encode()).decode()

    assert ids(api.get(FEEDBACK, {"received_at_after": offset})) != []
    assert api.get(FEEDBACK, {"received_at_before": offset}).json()["results"] == []
    assert api.get(FEEDBACK, {"cursor": cursor}).status_code == 200


def test_when_asking_for_a_compact_list_then_only_those_fields_and_no_theme_query(api, django_assert_num_queries):
    make_feedback().themes.add(make_theme())
    api.get(FEEDBACK)

    with django_assert_num_queries(2):  # the token, the page: the themes are not read
        rows = api.get(FEEDBACK, {"fields": "id,status"}).json()["results"]

    assert rows[0].keys() == {"id", "status"}


def test_given_more_feedback_then_a_sales_users_list_costs_the_same_queries(django_user_model):
    marcus = sales_user(django_user_model)
    customer = make_customer(account_owner=marcus)
    client = token_client(marcus)
    theme = make_theme()

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(FEEDBACK).status_code == 200
        return len(captured)

    make_feedback(customer=customer).themes.add(theme)
    client.get(FEEDBACK)
    few = queries()
    for _ in range(20):
        make_feedback(customer=customer).themes.add(theme)

    assert queries() == few <= 5  # token, groups, permissions (2), the page with its theme ids


# --- Bad input ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (new_item(category="rant"), "category"),
        (new_item(sentiment_score=3), "sentiment_score"),
        (new_item(sentiment_score="bad"), "sentiment_score"),
        (new_item(received_at="last tuesday"), "received_at"),
        (new_item(verbatim=""), "verbatim"),
        ({"source": "zendesk", "source_id": "ZD-9"}, "verbatim"),
        (new_item(themes="1"), "themes"),
        (new_item(themes=[999999]), "themes"),
        (new_item(tags="sso"), "tags"),
        (new_item(customer=999999), "customer"),
    ],
)
def test_given_bad_input_when_creating_then_400_naming_the_field_and_nothing_written(api, body, field):
    response = api.post(FEEDBACK, body, format="json")

    assert response.status_code == 400 and field in response.json(), response.json()
    assert not FeedbackItem.objects.exists()


def test_given_a_source_id_already_taken_then_400_and_one_row(api):
    api.post(FEEDBACK, new_item(), format="json")

    response = api.post(FEEDBACK, new_item(), format="json")

    assert response.status_code == 400 and FeedbackItem.objects.count() == 1


# --- Who sees what --------------------------------------------------------------------------------------------------


def test_given_a_sales_user_then_only_their_accounts_feedback_and_only_for_their_accounts(django_user_model):
    marcus = sales_user(django_user_model)
    mine, theirs = make_customer(account_owner=marcus), make_customer()
    visible, hidden = make_feedback(customer=mine), make_feedback(customer=theirs)

    for client in (token_client(marcus), session_client(marcus)):
        assert ids(client.get(FEEDBACK)) == [visible.pk]
        assert ids(client.get(FEEDBACK, {"customer": theirs.pk})) == []
        assert client.get(url(hidden)).status_code == 404
    client = token_client(marcus)
    refused = client.post(FEEDBACK, new_item(customer=theirs.pk), format="json")
    created = client.post(FEEDBACK, new_item(customer=mine.pk, source_id="ZD-2"), format="json")

    assert refused.status_code == 400 and "customer" in refused.json()
    assert created.status_code == 201, created.json()
    assert client.patch(url(visible), {"summary": "x"}, format="json").status_code == 403  # sales may add, not change


def test_given_a_service_failing_halfway_then_nothing_of_the_write_is_kept(api, monkeypatch):
    item, theme = make_feedback(), make_theme()

    def refuse(**kwargs):
        raise ValidationError({"themes": ["Refused for the test."]})

    monkeypatch.setattr("feedback.services.set_themes", refuse)
    response = api.patch(url(item), {"summary": "Half written", "themes": [theme.pk]}, format="json")

    assert response.status_code == 400 and response.json() == {"themes": ["Refused for the test."]}
    item.refresh_from_db()
    assert item.summary == "" and not item.themes.exists()


@pytest.mark.parametrize("term", ["batch", "batch timeout", "acme", "ZD-SEARCH-7", "gpu", "nothing-like-this"])
def test_given_a_search_then_the_api_and_the_admin_find_the_same_items(api, admin_client, term):
    from django.urls import reverse

    acme = make_customer(name="Acme Batch Labs")
    make_feedback(verbatim="Batch jobs hit a timeout", customer=acme)
    make_feedback(verbatim="Batch exports are slow")
    make_feedback(verbatim="Dashboard timeout", summary="batch of errors", tags=["gpu"])
    make_feedback(verbatim="Invoices", source_id="ZD-SEARCH-7")
    make_feedback(verbatim="Nothing to see", customer=acme)

    in_api = {row["id"] for row in api.get(FEEDBACK, {"q": term, "fields": "id"}).json()["results"]}
    in_admin = {
        item.pk
        for item in admin_client.get(reverse("admin:feedback_feedbackitem_changelist"), {"q": term})
        .context["cl"]
        .result_list
    }

    assert in_api == in_admin  # one search rule (feedback.filtersets.search) behind both doors
    assert (term == "nothing-like-this") == (in_api == set())


def test_given_community_posts_then_the_api_filters_the_community_segment_as_the_admin_does(api):
    author = make_feedback(source="hackernews", customer=None)
    matched = make_feedback(source="discourse", customer=make_customer())
    ticket = make_feedback(customer=make_customer())

    def listed(segment):
        return ids(api.get(FEEDBACK, {"segment": segment}))

    assert (listed("community"), listed("community_matched"), listed("not_community")) == (
        [author.pk],
        [matched.pk],
        [ticket.pk],
    )
    assert api.get(FEEDBACK, {"segment": "everyone"}).status_code == 400
