"""Each connector: its transform on the vendor's documented payloads, and fetch_since against a stub API."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import parse_qsl

import pytest

from integrations.connectors import CONNECTORS, ConnectorError
from integrations.connectors.call import CallConnector
from integrations.connectors.crm import CrmConnector
from integrations.connectors.github import GitHubConnector
from integrations.connectors.intercom import IntercomConnector
from integrations.connectors.linear import LinearConnector
from integrations.connectors.slack import SlackConnector
from integrations.connectors.zendesk import ZendeskConnector
from tests.integrations.payloads import payload, raw
from tests.integrations.stub_http import stub_api_fixture  # noqa: F401 (the stub_api fixture)

SINCE = datetime(2026, 12, 1, tzinfo=UTC)


def test_given_every_source_then_its_connector_has_the_four_methods_of_the_adapter():
    assert set(CONNECTORS) == {"intercom", "zendesk", "slack", "github", "linear", "call", "crm"}
    for connector in CONNECTORS.values():
        for method in ("authenticate", "fetch", "fetch_since", "transform"):
            assert callable(getattr(connector, method))


def test_given_an_intercom_conversation_then_the_customers_opening_message_is_the_item():
    [item] = IntercomConnector().webhook_items(payload("intercom_conversation_user_created.json"))

    assert item["source"] == "intercom" and item["source_id"] == "147"
    assert item["verbatim"] == (
        "Hi! Our batch jobs keep failing with 429 errors since Monday.\nWe need higher rate limits for the EU region."
    )
    assert item["summary"] == "Hi! Our batch jobs keep failing with 429 errors since Monday."
    assert (item["reporter_email"], item["customer_domain"]) == ("dana@acme.example", "acme.example")
    assert item["received_at"] == datetime(2025, 12, 5, 14, 20, tzinfo=UTC)
    assert item["tags"] == ["rate-limits"]
    assert item["source_url"] == "https://app.intercom.com/a/apps/ecahpwf5/inbox/inbox/conversation/147"


def test_given_an_intercom_admin_reply_then_it_is_not_feedback():
    notification = payload("intercom_conversation_user_created.json") | {"topic": "conversation.admin.replied"}

    assert IntercomConnector().webhook_items(notification) == []


def test_given_a_zendesk_ticket_created_event_then_the_ticket_is_the_item():
    [item] = ZendeskConnector(subdomain="acme").webhook_items(payload("zendesk_ticket_created.json"))

    assert (item["source"], item["source_id"], item["summary"]) == ("zendesk", "5158", "Fine-tuning queue stuck")
    assert item["verbatim"].startswith("Fine-tuning jobs stay in QUEUED for hours.")
    assert item["tags"] == ["fine-tuning", "urgent"]
    assert item["source_url"] == "https://acme.zendesk.com/agent/tickets/5158"


def test_given_a_slack_bug_reaction_then_the_message_is_read_back_and_becomes_the_item(stub_api):
    stub_api.routes = {
        ("GET", "/conversations.history"): payload("slack_history.json"),
        ("GET", "/users.info"): {"ok": True, "user": {"id": "U0G9QF9C6", "profile": {"email": "csm@hub.example"}}},
        ("GET", "/chat.getPermalink"): {"ok": True, "permalink": "https://acme.slack.com/archives/C0G9QF9GZ/p1"},
    }
    connector = SlackConnector(base_url=stub_api.url, token="xoxb-test")

    [item] = connector.webhook_items(payload("slack_reaction_added.json"))

    assert (item["source_id"], item["reporter_email"]) == ("C0G9QF9GZ:1764944400.000200", "csm@hub.example")
    assert item["verbatim"].startswith("Customer at Acme says the embeddings endpoint times out")
    assert item["tags"] == ["bug", "channel:C0G9QF9GZ"]
    assert item["source_url"] == "https://acme.slack.com/archives/C0G9QF9GZ/p1"
    assert stub_api.seen[0].headers["Authorization"] == "Bearer xoxb-test"


def test_given_a_slack_reaction_that_is_not_one_of_the_three_then_nothing_is_read():
    event = payload("slack_reaction_added.json")
    event["event"]["reaction"] = "thumbsup"

    assert SlackConnector(base_url="http://127.0.0.1:9").webhook_items(event) == []


def test_given_the_feedback_slash_command_then_its_text_is_the_item():
    form = dict(parse_qsl(raw("slack_slash_command.txt").decode()))

    [item] = SlackConnector().webhook_items(form)

    assert item["verbatim"] == "Acme wants SSO with Okta groups"
    assert item["source_id"] == "command:13345224609.738474920.8088930838d88f008e0"
    assert "slash-command" in item["tags"]


def test_given_a_github_issue_labelled_feedback_then_it_is_an_item_and_closing_it_is_a_tracker_change():
    connector = GitHubConnector()

    [item] = connector.webhook_items(payload("github_issues_opened.json"), event="issues.opened")
    change = connector.tracker_change(payload("github_issues_closed.json"), event="issues.closed")

    assert (item["source_id"], item["summary"]) == ("acme/platform#42", "Streaming responses cut off after 60 seconds")
    assert item["tags"] == ["api"] and item["source_url"] == "https://github.com/acme/platform/issues/42"
    assert (change.key, change.state) == ("acme/platform#42", "done")


def test_given_a_github_issue_closed_as_not_planned_then_it_is_canceled_and_an_unlabelled_one_is_not_feedback():
    closed = payload("github_issues_closed.json")
    closed["issue"]["state_reason"] = "not_planned"
    opened = payload("github_issues_opened.json")
    opened["issue"]["labels"] = [{"name": "bug"}]

    assert GitHubConnector().tracker_change(closed, event="issues.closed").state == "canceled"
    assert GitHubConnector().webhook_items(opened, event="issues.opened") == []


def test_given_a_linear_issue_moved_to_done_then_it_is_a_tracker_change_by_its_identifier():
    change = LinearConnector().tracker_change(payload("linear_issue_state_changed.json"))

    assert (change.key, change.state, change.title) == ("LIN-142", "done", "EU data residency for fine-tuning")


def test_given_a_linear_update_that_did_not_change_the_state_then_it_is_no_tracker_change():
    update = payload("linear_issue_state_changed.json") | {"updatedFrom": {"title": "EU residency"}}

    assert LinearConnector().tracker_change(update) is None


def test_given_a_call_then_the_whole_transcript_is_one_item():
    [item] = CallConnector().webhook_items(payload("call_transcript.json"))

    assert item["source"] == "call" and item["source_id"] == "call_8817"
    assert item["verbatim"].splitlines() == [
        "Sam Lee: How is the rollout going?",
        "Peter Gibbons: Latency doubled after the last release, that hurts our support bot.",
        "Peter Gibbons: And we'd love a way to export usage per team.",
    ]
    assert (item["reporter_email"], item["customer_crm_id"]) == ("peter@initech.example", "001Dn00000ABCDE")
    assert item["summary"] == "QBR with Initech"


def test_given_a_salesforce_record_then_it_is_an_enrichment_row():
    [record] = payload("salesforce_query.json")["records"]

    assert CrmConnector().transform(record) == {
        "crm_id": "001Dn00000ABCDE",
        "name": "Initech",
        "domain": "initech.example",
        "arr": 300000,
        "tier": "Strategic Partner",
        "plan": "Enterprise",
        "health_score": 55,
        "renewal_date": "2027-04-30",
        "owner_email": "ae@hub.example",
    }


# --- fetch_since against a stub API on 127.0.0.1 ------------------------------------------------------------------


def test_given_intercom_when_fetching_since_a_time_then_the_search_pages_through_the_cursor(stub_api):
    conversation = payload("intercom_conversation_user_created.json")["data"]["item"]
    pages = iter(
        [
            {"conversations": [conversation], "pages": {"next": {"starting_after": "WzE3NjQ5NDQ0MDBd"}}},
            {"conversations": [conversation | {"id": "148"}], "pages": {}},
        ]
    )
    stub_api.routes = {("POST", "/conversations/search"): lambda request: next(pages)}

    items = IntercomConnector(base_url=stub_api.url, token="tok").fetch_since(SINCE)

    assert [item["source_id"] for item in items] == ["147", "148"]
    first, second = (json.loads(seen.body) for seen in stub_api.seen)
    assert first["query"] == {"field": "updated_at", "operator": ">", "value": int(SINCE.timestamp())}
    assert second["pagination"]["starting_after"] == "WzE3NjQ5NDQ0MDBd"
    assert stub_api.seen[0].headers["Intercom-Version"] == "2.11"


def test_given_zendesk_when_fetching_since_a_time_then_the_incremental_export_is_read_with_requesters(stub_api):
    ticket = payload("zendesk_ticket_created.json")["detail"] | {"id": 5158, "requester_id": 7}
    stub_api.routes = {
        ("GET", "/api/v2/incremental/tickets/cursor.json"): {
            "tickets": [ticket],
            "users": [{"id": 7, "email": "ops@initech.example"}],
            "end_of_stream": True,
        }
    }

    [item] = ZendeskConnector(base_url=stub_api.url, email="bot@hub.example", token="t").fetch_since(SINCE)

    assert (item["source_id"], item["reporter_email"]) == ("5158", "ops@initech.example")
    assert stub_api.seen[0].query["start_time"] == [str(int(SINCE.timestamp()))]
    assert stub_api.seen[0].headers["Authorization"].startswith("Basic ")


def test_given_slack_when_fetching_since_a_time_then_only_reacted_messages_of_the_watched_channels_come(stub_api):
    history = payload("slack_history.json")
    history["messages"].append({"type": "message", "user": "U1", "text": "lunch?", "ts": "1764944500.000100"})
    stub_api.routes = {("GET", "/conversations.history"): history}

    items = SlackConnector(base_url=stub_api.url, token="x", channels=["C0G9QF9GZ"]).fetch_since(SINCE)

    assert [item["source_id"] for item in items] == ["C0G9QF9GZ:1764944400.000200"]
    assert stub_api.seen[0].query["oldest"] == [f"{SINCE.timestamp():.6f}"]


def test_given_github_when_fetching_since_a_time_then_feedback_issues_of_each_repository_come(stub_api):
    issue = payload("github_issues_opened.json")["issue"]
    pull = issue | {"number": 43, "pull_request": {"url": "x"}}
    stub_api.routes = {("GET", "/repos/acme/platform/issues"): [issue, pull]}

    items = GitHubConnector(base_url=stub_api.url, token="ghp", repositories=["acme/platform"]).fetch_since(SINCE)

    assert [item["source_id"] for item in items] == ["acme/platform#42"]
    assert stub_api.seen[0].query["since"] == [SINCE.isoformat()]


def test_given_linear_when_fetching_since_a_time_then_graphql_pages_through_labelled_issues(stub_api):
    node = payload("linear_issue_state_changed.json")["data"] | {"labels": {"nodes": [{"name": "Feedback"}]}}
    pages = iter(
        [
            {"data": {"issues": {"nodes": [node], "pageInfo": {"hasNextPage": True, "endCursor": "c1"}}}},
            {"data": {"issues": {"nodes": [node | {"labels": {"nodes": []}}], "pageInfo": {"hasNextPage": False}}}},
        ]
    )
    stub_api.routes = {("POST", "/graphql"): lambda request: next(pages)}

    items = LinearConnector(base_url=stub_api.url, token="lin_api_x").fetch_since(SINCE)

    assert [item["source_id"] for item in items] == ["LIN-142"]
    assert json.loads(stub_api.seen[1].body)["variables"] == {"since": SINCE.isoformat(), "after": "c1"}
    assert stub_api.seen[0].headers["Authorization"] == "lin_api_x"


def test_given_the_call_export_when_fetching_since_a_time_then_every_call_comes_whole(stub_api):
    stub_api.routes = {("GET", "/calls"): {"calls": [payload("call_transcript.json")], "next_cursor": None}}

    [item] = CallConnector(base_url=stub_api.url, token="t").fetch_since(SINCE)

    assert item["source_id"] == "call_8817" and item["verbatim"].count("\n") == 2


def test_given_salesforce_when_fetching_since_a_time_then_the_query_follows_next_records(stub_api):
    first = payload("salesforce_query.json") | {"done": False, "nextRecordsUrl": "/services/data/v59.0/query/01gD-2000"}
    second = payload("salesforce_query.json")
    second["records"][0] |= {"Id": "001Dn00000XYZ12", "Website": "globex.example"}
    stub_api.routes = {
        ("GET", "/services/data/v59.0/query"): first,
        ("GET", "/services/data/v59.0/query/01gD-2000"): second,
    }

    rows = CrmConnector(base_url=stub_api.url, token="sf").fetch_since(SINCE)

    assert [row["crm_id"] for row in rows] == ["001Dn00000ABCDE", "001Dn00000XYZ12"]
    assert "SystemModstamp > 2026-12-01T00:00:00Z" in stub_api.seen[0].query["q"][0]


@pytest.mark.parametrize(("status", "retryable"), [(401, False), (429, True), (503, True)])
def test_given_the_vendor_refuses_when_authenticating_then_the_error_says_whether_to_retry(stub_api, status, retryable):
    stub_api.routes = {("GET", "/user"): (status, {"message": "no"})}

    with pytest.raises(ConnectorError) as failed:
        GitHubConnector(base_url=stub_api.url, token="bad").authenticate()

    assert (failed.value.status, failed.value.retryable) == (status, retryable)


def test_given_nothing_listens_then_the_connection_error_is_retryable():
    with pytest.raises(ConnectorError) as failed:
        CallConnector(base_url="http://127.0.0.1:9").authenticate()

    assert failed.value.retryable
