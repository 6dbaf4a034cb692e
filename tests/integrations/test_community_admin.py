"""Community listening's doors besides the service: the admin (watches, "Fetch now", authors matched to a customer),
the half-hourly fan-out task, and ``manage.py listen_community``."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from feedback.models import FeedbackItem
from integrations import community
from integrations.community_tasks import FETCH_EXPIRES, fetch_community_watch, fetch_community_watches
from integrations.models import CommunityAuthor, CommunityWatch
from tests.factories import make_customer
from tests.integrations.community_stub import CommunityStub, serve

pytestmark = pytest.mark.django_db


@pytest.fixture
def stub():
    api = CommunityStub()
    api.load_hacker_news()
    server = serve(api)
    yield api
    server.shutdown()
    server.server_close()


@pytest.fixture
def watch(stub):
    return CommunityWatch.objects.create(
        source="hackernews", name="Hacker News", base_url=f"{stub.url}/api/v1", queries=["Codestral", "Le Chat"]
    )


@pytest.fixture
def admin_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser(username="ops", password="x"))
    return client


@pytest.fixture
def queued(monkeypatch):
    sent = []
    monkeypatch.setattr(fetch_community_watch, "apply_async", lambda args, **options: sent.append((args, options)))
    return sent


def test_given_the_schedule_when_it_runs_then_each_enabled_watch_gets_its_own_fetch_with_an_expiry(watch, queued):
    CommunityWatch.objects.create(source="discourse", name="Off", base_url="http://127.0.0.1:9", enabled=False)

    ids = fetch_community_watches.apply().get()

    assert ids == [watch.pk]
    assert queued == [((watch.pk,), {"expires": FETCH_EXPIRES})]


def test_given_a_watch_when_its_task_runs_then_it_fetches_and_a_deleted_watch_is_skipped(watch):
    assert fetch_community_watch.apply(args=[watch.pk]).get() == community.SUCCEEDED
    assert FeedbackItem.objects.filter(source="hackernews").count() == 4
    assert fetch_community_watch.apply(args=[watch.pk + 1000]).get() == "missing"


def test_given_the_command_then_it_prints_each_query_and_the_totals(watch):
    out = StringIO()

    call_command("listen_community", stdout=out)

    text = out.getvalue()
    assert "[1/1] Hacker News (Hacker News," in text
    assert "“Codestral”: 3 fetched, 3 new, 0 off topic" in text
    assert "Hacker News: 4 fetched, 0 off topic, 0 duplicates, 0 already stored, 4 created." in text


def test_given_a_failing_community_then_the_command_says_so_and_exits_non_zero(watch, stub):
    stub.fail = lambda path, params: (503, b"{}")

    with pytest.raises(CommandError, match="1 watch\\(es\\) had failures: Hacker News"):
        call_command("listen_community", "--watch", str(watch.pk), stdout=StringIO(), stderr=StringIO())

    watch.refresh_from_db()
    assert "HTTP 503" in watch.last_error and watch.cursor == {}


def test_given_the_watch_admin_then_it_lists_the_last_fetch_and_fetch_now_queues_it(watch, admin_client, queued):
    community.fetch_watch(watch=watch)
    changelist = reverse("admin:integrations_communitywatch_changelist")

    page = admin_client.get(changelist).content.decode()
    response = admin_client.post(changelist, {"action": "fetch_now", "_selected_action": [watch.pk]})
    detail = admin_client.get(reverse("admin:integrations_communitywatch_change", args=[watch.pk]))

    assert "4 fetched, 4 new items, 0 off topic" in page and "Codestral, Le Chat" in page
    assert response.status_code == 302 and queued == [((watch.pk,), {"expires": FETCH_EXPIRES, "retry": False})]
    assert detail.status_code == 200 and "fetch-now" in detail.content.decode()


def test_given_the_author_admin_when_a_person_sets_a_customer_then_the_authors_items_follow(
    watch, admin_client, django_assert_max_num_queries
):
    community.fetch_watch(watch=watch)
    acme = make_customer(name="Acme")
    kvs = CommunityAuthor.objects.get(handle="kvs")
    url = reverse("admin:integrations_communityauthor_change", args=[kvs.pk])

    response = admin_client.post(url, {"customer": acme.pk}, follow=True)

    assert response.status_code == 200
    assert "kvs now attributed to “Acme”: 1 item(s) updated." in response.content.decode()
    assert FeedbackItem.objects.get(source_id="46110931").customer == acme
    assert set(FeedbackItem.objects.filter(customer__isnull=True).values_list("source_id", flat=True)) == {
        "46110402",
        "46110512",
        "46104410",
    }
    with django_assert_max_num_queries(25):
        listing = admin_client.get(reverse("admin:integrations_communityauthor_changelist") + "?matched=yes")
    assert listing.status_code == 200 and "kvs" in listing.content.decode()
    assert "rgbrenner" not in listing.content.decode()


def test_given_a_fetch_stopped_by_its_page_budget_then_the_watch_list_says_older_posts_wait(watch, admin_client):
    watch.last_result = {"fetched": 3000, "created": 2990, "off_topic": 10, "backlog": {"Codestral": {}}}
    watch.save(update_fields=["last_result"])

    page = admin_client.get(reverse("admin:integrations_communitywatch_changelist")).content.decode()

    assert "2990 new items" in page and "older posts left for the next run (Codestral)" in page


def test_given_the_task_queue_unreachable_when_fetch_now_then_the_person_is_told_nothing_was_queued(
    watch, admin_client, monkeypatch
):
    from kombu.exceptions import OperationalError

    def down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to redis: Connection refused.")

    monkeypatch.setattr(fetch_community_watch, "apply_async", down)
    changelist = reverse("admin:integrations_communitywatch_changelist")

    response = admin_client.post(changelist, {"action": "fetch_now", "_selected_action": [watch.pk]}, follow=True)

    said = [str(message) for message in response.context["messages"]]
    assert response.status_code == 200
    assert said == [
        f"Could not queue the fetch of {watch.name}: the task queue (Redis) cannot be reached. Nothing was queued; "
        "try again once it is back."
    ]
