"""/metrics: refused without its token (from localhost too), and the named series in Prometheus' text format."""

from __future__ import annotations

import json

import pytest
from prometheus_client.parser import text_string_to_metric_families

from feedbackhub import health, metrics
from feedbackhub.celery import app
from tests.factories import make_feedback

pytestmark = pytest.mark.django_db
TOKEN = "s3cret-metrics-token"


@app.task(name="tests.metrics.divide")
def divide(value: int) -> float:
    return 1 / value


@pytest.fixture
def task_keys(monkeypatch):
    """Task counters under keys of the test's own (the shared test Redis serves other runs at the same time)."""
    prefix = f"test-{id(monkeypatch)}"
    monkeypatch.setattr(metrics, "TASK_COUNTS_KEY", f"{prefix}:count")
    monkeypatch.setattr(metrics, "TASK_SECONDS_KEY", f"{prefix}:seconds")
    yield
    health.redis_client().delete(f"{prefix}:count", f"{prefix}:seconds")


def samples(text: str) -> dict[tuple, float]:
    """{(sample name, sorted labels): value} of a Prometheus exposition."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_given_no_token_configured_when_localhost_asks_then_403_even_with_a_bearer(client, settings):
    settings.METRICS_TOKEN = ""

    anonymous = client.get("/metrics", REMOTE_ADDR="127.0.0.1")
    bearer = client.get("/metrics", REMOTE_ADDR="127.0.0.1", headers={"Authorization": "Bearer "})

    assert (anonymous.status_code, bearer.status_code) == (403, 403)


@pytest.mark.parametrize("authorization", [None, "Bearer wrong", f"Basic {TOKEN}", f"Bearer {TOKEN}x", "Bearer"])
def test_given_a_token_when_asked_without_it_or_with_another_then_401(client, settings, authorization):
    settings.METRICS_TOKEN = TOKEN
    headers = {"Authorization": authorization} if authorization else {}

    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1", headers=headers)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert b"feedbackhub" not in response.content


def test_given_a_scraper_asking_by_an_address_not_in_allowed_hosts_then_the_token_decides_not_the_host_check(
    client, settings
):
    settings.METRICS_TOKEN = TOKEN
    settings.ALLOWED_HOSTS = ["hub.example.com"]

    anonymous = client.get("/metrics", HTTP_HOST="10.0.1.5:8000")
    scraped = client.get("/metrics", HTTP_HOST="10.0.1.5:8000", headers={"Authorization": f"Bearer {TOKEN}"})
    page = client.get("/admin/login/", HTTP_HOST="10.0.1.5:8000")

    assert anonymous.status_code == 401
    assert scraped.status_code == 200 and b"feedbackhub_" in scraped.content
    assert page.status_code == 400  # every other page keeps the host check


def test_given_the_token_when_scraped_then_the_named_series_are_there(client, settings, task_keys):
    settings.METRICS_TOKEN = TOKEN
    make_feedback()  # untriaged
    client.get("/healthz")  # a request the histogram has seen

    for value in (1, 2, 0):  # run here (apply): the same prerun/postrun signals a worker sends
        divide.apply(args=(value,))
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    found = samples(response.content.decode())

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    task = divide.name
    assert found[("feedbackhub_celery_tasks_count", (("outcome", "success"), ("task", task)))] == 2
    assert found[("feedbackhub_celery_tasks_count", (("outcome", "failure"), ("task", task)))] == 1
    assert found[("feedbackhub_celery_tasks_sum", (("outcome", "success"), ("task", task)))] >= 0
    assert found[("feedbackhub_triage_backlog", ())] == 1
    assert found[("feedbackhub_outbox_notifications", (("status", "pending"),))] == 0
    assert found[("feedbackhub_outbox_notifications", (("status", "failed"),))] == 0
    assert any(name == "feedbackhub_celery_queue_length" for name, _ in found)
    healthz = (("method", "GET"), ("status", "2xx"), ("view", "healthz"))
    assert found[("feedbackhub_http_request_duration_seconds_count", healthz)] >= 1


def test_given_a_routed_view_when_answered_then_the_histogram_names_the_view_and_status_class(client, settings):
    settings.METRICS_TOKEN = TOKEN
    labels = (("method", "GET"), ("status", "3xx"), ("view", "admin:index"))
    key = ("feedbackhub_http_request_duration_seconds_count", labels)
    before = samples(client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).content.decode()).get(key, 0)

    client.get("/admin/")  # anonymous: redirected to the login page
    client.get("/no/such/page/at/all")
    after = samples(client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).content.decode())

    assert after[key] == before + 1
    assert (
        after[
            (
                "feedbackhub_http_request_duration_seconds_count",
                (("method", "GET"), ("status", "4xx"), ("view", "<unresolved>")),
            )
        ]
        >= 1
    )


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_given_a_real_worker_when_it_runs_tasks_then_readyz_sees_it_and_metrics_count_its_tasks(
    client, settings, monkeypatch, tmp_path
):
    """The worker is another process: its task counts reach the web process through Redis; its ping answers."""
    from tests.jobs.real_worker import own_redis, running_worker, sending_to, wait_for
    from themes.tasks import refresh_theme_rollups

    settings.METRICS_TOKEN = TOKEN
    monkeypatch.setattr(health, "_cache", {})
    with own_redis() as redis, sending_to(redis), running_worker(redis, "metrics", tmp_path):
        settings.REDIS_URL = redis.url  # the probes and the scrape read the worker's Redis
        for _ in range(3):
            refresh_theme_rollups.delay([])
        key = ("feedbackhub_celery_tasks_count", (("outcome", "success"), ("task", refresh_theme_rollups.name)))

        def counted() -> float:
            return samples(client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).content.decode()).get(
                key, 0
            )

        wait_for(lambda: counted() == 3, 60, lambda: f"counted {counted()}")
        ready = json.loads(client.get("/readyz").content)

    assert ready["checks"]["workers"] == {"ok": True, "answering": 1}
    assert ready["checks"]["queues"]["ok"] is True
