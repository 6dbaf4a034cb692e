"""Prometheus metrics at ``/metrics`` (prometheus-client's text format), behind a bearer token.

- ``feedbackhub_http_request_duration_seconds{view,method,status}``: a histogram recorded by ``MetricsMiddleware``
  (view: the URL pattern's name, "<unresolved>" for a 404 without a route, so the label set stays small; status: the
  class, "2xx"... ).
- ``feedbackhub_celery_tasks{task,outcome}`` (a summary: ``_count`` tasks run, ``_sum`` seconds spent): workers are
  processes of their own, on other machines, so ``task_prerun``/``task_postrun`` in the worker add one to a Redis hash
  and the task's seconds to another (``HINCRBY``/``HINCRBYFLOAT``, one round trip per task); the web process reads the
  hashes at scrape time. They are counters for Prometheus' ``rate()``; they restart from zero only if Redis loses
  them (a reset Prometheus handles). Outcome is Celery's final state: success, failure, retry, ignored...
- ``feedbackhub_celery_queue_length{queue}``, ``feedbackhub_outbox_notifications{status}`` (pending, failed) and
  ``feedbackhub_triage_backlog`` (untriaged feedback): read at scrape time, cheaply (feedbackhub.health).

The request histogram lives in each web process; with several gunicorn workers set PROMETHEUS_MULTIPROC_DIR (an
empty folder, per container) and the histogram is aggregated across them (prometheus-client's multiprocess mode).

METRICS_TOKEN unset: 403 for everyone, localhost included. Set: 401 without ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import hmac
import logging
import os
import time

from django.conf import settings
from django.http import HttpResponse
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, SummaryMetricFamily

from feedbackhub import health

log = logging.getLogger(__name__)
TASK_COUNTS_KEY = "feedbackhub:metrics:task_count"  # hash "<task>|<outcome>" -> tasks run
TASK_SECONDS_KEY = "feedbackhub:metrics:task_seconds"  # hash "<task>|<outcome>" -> seconds spent
METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

REQUEST_SECONDS = Histogram(
    "feedbackhub_http_request_duration_seconds",
    "Time to answer an HTTP request, by view, method and status class.",
    ["view", "method", "status"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)


class MetricsMiddleware:
    """Times every request (near the top of MIDDLEWARE, so the other middleware's time counts too)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        path = request.path_info.rstrip("/")
        view = path.lstrip("/") if path in health.PROBES else match.view_name if match else "<unresolved>"
        method = request.method if request.method in METHODS else "other"
        status = f"{response.status_code // 100}xx"
        REQUEST_SECONDS.labels(view, method, status).observe(time.perf_counter() - started)
        return response


# --- Celery tasks (recorded in the worker, in Redis) --------------------------------------------------------------

_started: dict[str, float] = {}


def task_started(task_id=None, **_) -> None:
    if task_id:
        _started[task_id] = time.perf_counter()


def task_finished(task_id=None, task=None, state=None, **_) -> None:
    started = _started.pop(task_id, None)
    if started is None or task is None:
        return
    field = f"{task.name}|{(state or 'unknown').lower()}"
    try:
        pipe = health.redis_client().pipeline(transaction=False)
        pipe.hincrby(TASK_COUNTS_KEY, field, 1)
        pipe.hincrbyfloat(TASK_SECONDS_KEY, field, time.perf_counter() - started)
        pipe.execute()
    except Exception:  # a metric must never fail a task
        log.warning("task metrics not recorded (Redis unreachable)", exc_info=True)


def connect_signals() -> None:
    from celery import signals

    signals.task_prerun.connect(task_started, weak=False, dispatch_uid="fbh-metrics-prerun")
    signals.task_postrun.connect(task_finished, weak=False, dispatch_uid="fbh-metrics-postrun")


# --- Scrape ---------------------------------------------------------------------------------------------------


class HubCollector:
    """Readings taken at each scrape: task counts from Redis, queue depths, the outbox and the triage backlog."""

    def collect(self):
        client = health.redis_client()
        tasks = SummaryMetricFamily(
            "feedbackhub_celery_tasks",
            "Celery tasks run and seconds spent, by task and outcome.",
            labels=["task", "outcome"],
        )
        queues = GaugeMetricFamily("feedbackhub_celery_queue_length", "Tasks waiting in each queue.", labels=["queue"])
        try:
            counts = client.hgetall(TASK_COUNTS_KEY)
            seconds = client.hgetall(TASK_SECONDS_KEY)
            for field, count in sorted(counts.items()):
                task, _, outcome = field.decode().rpartition("|")
                tasks.add_metric([task, outcome], int(count), float(seconds.get(field, 0)))
            for name, depth in health.queue_depths(client).items():
                queues.add_metric([name], depth)
        except Exception:
            log.warning("metrics: Redis unreachable", exc_info=True)
        yield tasks
        yield queues
        outbox = GaugeMetricFamily(
            "feedbackhub_outbox_notifications", "Notifications by outbox status.", labels=["status"]
        )
        backlog = GaugeMetricFamily(
            "feedbackhub_triage_backlog", "Feedback items not triaged yet (estimate past 10,000)."
        )
        try:
            counts = health.backlog_counts()
            outbox.add_metric(["pending"], counts["outbox_pending"])
            outbox.add_metric(["failed"], counts["outbox_failed"])
            backlog.add_metric([], counts["triage_backlog"])
        except Exception:
            log.warning("metrics: database unreachable", exc_info=True)
        yield outbox
        yield backlog


_hub_registry = CollectorRegistry(auto_describe=False)
_hub_registry.register(HubCollector())


def process_registry() -> CollectorRegistry:
    """This process's metrics, or all web processes' in multiprocess mode."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    from prometheus_client import multiprocess

    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry


def metrics(request) -> HttpResponse:
    """The Prometheus text exposition, for a bearer of settings.METRICS_TOKEN only."""
    token = getattr(settings, "METRICS_TOKEN", "")
    if not token:
        return HttpResponse("metrics are off: set METRICS_TOKEN\n", status=403, content_type="text/plain")
    given = request.headers.get("Authorization", "")
    scheme, _, credentials = given.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(credentials.strip().encode(), token.encode()):
        return HttpResponse("a bearer token is required\n", status=401, headers={"WWW-Authenticate": "Bearer"})
    body = generate_latest(process_registry()) + generate_latest(_hub_registry)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
