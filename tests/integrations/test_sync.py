"""The 15-minute connector sync: from the last success less the overlap, one source's failure kept to itself, and
one worker at a time per source. Vendors are stub APIs on 127.0.0.1."""

from __future__ import annotations

import pytest
from django.db import connections
from django.urls import reverse
from django_celery_beat.models import PeriodicTask

from feedback.models import FeedbackItem
from integrations import sync
from integrations.choices import SyncStatus
from integrations.models import ConnectorSync
from integrations.tasks import SYNC_EXPIRES, sync_connector, sync_connectors
from tests.factories import make_customer
from tests.integrations.payloads import payload
from tests.integrations.stub_http import StubApi, serve

pytestmark = pytest.mark.django_db

TICKETS = "/api/v2/incremental/tickets/cursor.json"
SEARCH = "/conversations/search"


@pytest.fixture
def vendors(settings):
    """A Zendesk and an Intercom stub, configured as the only connectors with credentials."""
    zendesk, intercom = StubApi(), StubApi()
    servers = [serve(zendesk), serve(intercom)]
    settings.CONNECTORS = {
        "zendesk": {"base_url": zendesk.url, "email": "bot@hub.example", "token": "zd-token", "subdomain": "acme"},
        "intercom": {"base_url": intercom.url, "token": "ic-token"},
        "slack": {"token": "xoxb", "channels": []},  # a token but no channel to read: not configured
        "github": {"token": "", "repositories": ["acme/api"]},  # no token
    }
    yield zendesk, intercom
    for server in servers:
        server.shutdown()
        server.server_close()


def tickets(*ids: str, email: str = "ops@initech.example") -> dict:
    """One page of Zendesk's incremental export holding tickets ``ids`` from one requester."""
    ticket = payload("zendesk_ticket_created.json")["detail"]
    return {
        "tickets": [ticket | {"id": ticket_id, "requester_id": 7} for ticket_id in ids],
        "users": [{"id": 7, "email": email}],
        "end_of_stream": True,
    }


def test_given_connectors_in_the_settings_then_only_those_with_credentials_and_options_are_synced(vendors):
    assert sync.configured_sources() == ["intercom", "zendesk"]


def test_given_the_schedule_when_it_runs_then_each_configured_source_gets_its_own_task_with_an_expiry(
    vendors, monkeypatch
):
    sent = []
    monkeypatch.setattr(sync_connector, "apply_async", lambda args, **options: sent.append((args, options)))

    queued = sync_connectors.apply().get()

    assert queued == ["intercom", "zendesk"]
    assert sent == [(("intercom",), {"expires": SYNC_EXPIRES}), (("zendesk",), {"expires": SYNC_EXPIRES})]
    schedule = PeriodicTask.objects.select_related("interval").get(task="integrations.tasks.sync_connectors")
    assert (schedule.interval.every, schedule.interval.period, schedule.expire_seconds) == (15, "minutes", 14 * 60)


def test_given_a_first_sync_then_everything_is_read_ingested_and_the_watermark_is_the_start_of_the_run(vendors):
    zendesk, _ = vendors
    initech = make_customer(domain="initech.example")
    zendesk.routes = {("GET", TICKETS): tickets("5158", "5159")}

    status = sync_connector.apply(args=["zendesk"]).get()

    state = ConnectorSync.objects.get(source="zendesk")
    assert status == SyncStatus.SUCCEEDED
    assert zendesk.seen[0].query["start_time"] == ["0"]  # no watermark yet: the backfill
    assert zendesk.seen[0].headers["Authorization"].startswith("Basic ")
    assert set(FeedbackItem.objects.values_list("source_id", "customer")) == {
        ("5158", initech.pk),
        ("5159", initech.pk),
    }
    assert state.last_result == {"fetched": 2, "created": 2, "updated": 0, "rejected": 0, "problems": []}
    assert (state.synced_until, state.last_error, state.failures) == (state.last_started_at, "", 0)
    assert state.last_finished_at >= state.last_started_at


def test_given_a_previous_success_when_syncing_again_then_it_reads_from_the_watermark_less_the_overlap_once(vendors):
    zendesk, _ = vendors
    zendesk.routes = {("GET", TICKETS): tickets("5158")}
    sync.sync_connector(source="zendesk")
    first = ConnectorSync.objects.get(source="zendesk").synced_until
    zendesk.routes = {("GET", TICKETS): tickets("5158", "5160")}  # 5158 again: it lies in the overlap

    outcome = sync.sync_connector(source="zendesk")

    since = int((first - sync.OVERLAP).timestamp())
    assert zendesk.seen[1].query["start_time"] == [str(since)]
    assert outcome.result == {"fetched": 2, "created": 1, "updated": 1, "rejected": 0, "problems": []}
    assert FeedbackItem.objects.filter(source="zendesk").count() == 2
    assert ConnectorSync.objects.get(source="zendesk").synced_until > first


def test_given_one_source_failing_then_its_error_is_kept_its_watermark_stays_and_the_other_source_syncs(vendors):
    zendesk, intercom = vendors
    zendesk.routes = {("GET", TICKETS): tickets("5158")}
    intercom.routes = {("POST", SEARCH): {"conversations": [], "pages": {}}}
    sync.sync_connector(source="intercom")  # a first success for intercom: its watermark
    before = ConnectorSync.objects.get(source="intercom").synced_until
    intercom.routes = {("POST", SEARCH): (500, {"errors": [{"message": "server error"}]})}

    outcomes = {source: sync.sync_connector(source=source).status for source in sync.configured_sources()}
    intercom.routes = {("POST", SEARCH): (503, {})}
    sync.sync_connector(source="intercom")

    failed = ConnectorSync.objects.get(source="intercom")
    assert outcomes == {"intercom": SyncStatus.FAILED, "zendesk": SyncStatus.SUCCEEDED}
    assert FeedbackItem.objects.filter(source="zendesk").count() == 1
    assert (failed.last_status, failed.failures, failed.synced_until) == (SyncStatus.FAILED, 2, before)
    assert "HTTP 503" in failed.last_error
    assert failed.last_result == {}

    intercom.routes = {("POST", SEARCH): {"conversations": [], "pages": {}}}
    sync.sync_connector(source="intercom")  # back: it reads from the last success, not from the failures
    failed.refresh_from_db()
    assert (failed.last_status, failed.failures, failed.last_error) == (SyncStatus.SUCCEEDED, 0, "")
    assert intercom.seen[-1].body and str(int((before - sync.OVERLAP).timestamp())).encode() in intercom.seen[-1].body


def test_given_a_record_ingestion_refuses_then_the_sync_succeeds_and_lists_it(vendors):
    zendesk, _ = vendors
    page = tickets("5158")
    page["tickets"].append(page["tickets"][0] | {"id": "x" * 300})  # a source id longer than ingestion stores
    zendesk.routes = {("GET", TICKETS): page}

    outcome = sync.sync_connector(source="zendesk")

    assert outcome.status == SyncStatus.SUCCEEDED
    assert (outcome.result["created"], outcome.result["rejected"]) == (1, 1)
    [problem] = outcome.result["problems"]
    assert "source_id: Ensure this field has no more than 255 characters." in problem and len(problem) <= 300


def test_given_another_worker_syncing_a_source_then_this_one_answers_busy_and_reads_nothing(vendors):
    zendesk, _ = vendors
    zendesk.routes = {("GET", TICKETS): tickets("5158")}
    state = ConnectorSync.objects.create(source="zendesk")
    other = connections.create_connection("default")  # the other worker's session holds the source's lock
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", [sync.LOCK_NAMESPACE, state.pk])
        busy = sync_connector.apply(args=["zendesk"]).get()
    finally:
        other.close()  # that worker dies: its lock goes with its connection
    after = sync_connector.apply(args=["zendesk"]).get()

    assert (busy, after) == (sync.BUSY, SyncStatus.SUCCEEDED)
    assert len(zendesk.seen) == 1
    assert sync_connector.acks_late and sync_connector.reject_on_worker_lost


def test_given_the_crm_configured_then_its_sync_updates_the_accounts(settings):
    crm = StubApi()
    server = serve(crm)
    try:
        customer = make_customer(crm_id="001A", arr=1000)
        settings.CONNECTORS = {"crm": {"base_url": crm.url, "token": "sf"}}
        record = {"attributes": {"type": "Account"}, "Id": "001A", "Name": "Acme", "AnnualRevenue": 250000}
        crm.routes = {("GET", "/services/data/v59.0/query"): {"records": [record], "done": True}}

        outcome = sync.sync_connector(source="crm")
    finally:
        server.shutdown()
        server.server_close()

    customer.refresh_from_db()
    assert sync.configured_sources() == ["crm"]
    assert (outcome.status, outcome.result["fetched"], outcome.result["updated"]) == (SyncStatus.SUCCEEDED, 1, 1)
    assert customer.arr == 250000
    assert crm.seen[0].headers["Authorization"] == "Bearer sf"


def test_given_the_first_sync_never_succeeded_then_a_failure_leaves_no_watermark(vendors):
    _, intercom = vendors
    intercom.routes = {("POST", SEARCH): (401, {"errors": [{"code": "unauthorized"}]})}

    outcome = sync.sync_connector(source="intercom")

    state = ConnectorSync.objects.get(source="intercom")
    assert outcome.status == SyncStatus.FAILED and "HTTP 401" in outcome.error
    assert state.synced_until is None and state.last_finished_at >= state.last_started_at


# --- The admin page ------------------------------------------------------------------------------------------------


def test_given_synced_sources_then_the_admin_lists_their_state_and_sync_now_queues_configured_ones(
    admin_client, vendors, monkeypatch, django_assert_max_num_queries
):
    sent = []
    monkeypatch.setattr(sync_connector, "apply_async", lambda args, **options: sent.append(args))
    ConnectorSync.objects.create(
        source="zendesk",
        last_status=SyncStatus.SUCCEEDED,
        last_result={"fetched": 3, "created": 2, "updated": 1, "rejected": 0, "problems": []},
    )
    ConnectorSync.objects.create(source="linear", last_status=SyncStatus.FAILED, failures=3, last_error="HTTP 401")
    url = reverse("admin:integrations_connectorsync_changelist")

    with django_assert_max_num_queries(12):
        page = admin_client.get(url).content.decode()
    admin_client.post(
        url, {"action": "sync_now", "_selected_action": list(ConnectorSync.objects.values_list("pk", flat=True))}
    )

    linear = ConnectorSync.objects.get(source="linear")
    detail = admin_client.get(reverse("admin:integrations_connectorsync_change", args=[linear.pk]))
    assert detail.status_code == 200 and "HTTP 401" in detail.content.decode()
    assert "3 fetched: 2 created, 1 updated" in page
    assert "Failed (3 in a row)" in page and "HTTP 401" in page
    assert sent == [("zendesk",)]  # linear has no credentials here: not queued


def test_given_the_task_queue_unreachable_when_sync_now_then_the_person_is_told_and_nothing_claims_it_queued(
    admin_client, vendors, monkeypatch
):
    from kombu.exceptions import OperationalError

    def down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to redis: Connection refused.")

    monkeypatch.setattr(sync_connector, "apply_async", down)
    row = ConnectorSync.objects.create(source="zendesk", last_status=SyncStatus.SUCCEEDED)
    url = reverse("admin:integrations_connectorsync_changelist")

    response = admin_client.post(url, {"action": "sync_now", "_selected_action": [row.pk]}, follow=True)

    said = [str(message) for message in response.context["messages"]]
    assert response.status_code == 200
    assert said == [
        "Could not queue the zendesk sync: the task queue (Redis) cannot be reached. Nothing was queued; try again "
        "once it is back."
    ]
