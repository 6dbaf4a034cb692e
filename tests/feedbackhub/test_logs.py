"""Structured logs: the request id comes in (or is made), goes out, is on every record, and follows the tasks the
request queues into a real worker."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from django.http import HttpResponse

from feedbackhub import logs
from feedbackhub.celery import app
from tests.jobs.real_worker import own_redis, running_worker, sending_to, wait_for
from themes.tasks import refresh_theme_rollups


def record(message: str = "hello %s", *args, **extra) -> logging.LogRecord:
    made = logging.LogRecord("feedbackhub.test", logging.INFO, __file__, 1, message, args or ("world",), None)
    made.__dict__.update(extra)
    return made


def test_given_a_sane_request_id_when_a_request_comes_then_it_is_kept_and_returned(client):
    response = client.get("/healthz", headers={"X-Request-ID": "lb-7f3a.42:x_y"})

    assert response["X-Request-ID"] == "lb-7f3a.42:x_y"


@pytest.mark.parametrize("given", [None, "", "a b", "x" * 129, "id\nInjected: header", "é"])
def test_given_no_or_an_unsafe_request_id_when_a_request_comes_then_a_new_one_is_made(client, given):
    headers = {"X-Request-ID": given} if given is not None else {}

    response = client.get("/healthz", headers=headers)

    assert len(response["X-Request-ID"]) == 32 and response["X-Request-ID"] != given
    assert int(response["X-Request-ID"], 16) >= 0


def test_given_a_request_when_its_code_logs_then_the_record_has_its_id_and_none_after():
    seen = []

    def view(request):
        seen.append(logs.current_request_id())
        return HttpResponse("ok")

    class Request:
        headers = {"X-Request-ID": "req-1"}

    response = logs.RequestIdMiddleware(view)(Request())
    inside = record(request_id=None)
    logs.request_id_var.set("req-2")
    try:
        logs.RequestIdFilter().filter(inside)
    finally:
        logs.request_id_var.set("")
    outside = record()
    logs.RequestIdFilter().filter(outside)

    assert seen == ["req-1"] and response["X-Request-ID"] == "req-1"
    assert logs.current_request_id() == ""
    assert inside.request_id == "req-2"
    assert outside.request_id == "-"


def test_given_a_record_when_formatted_as_json_then_one_object_with_the_fields_and_extras():
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        failed = record("failed %s", "x", request_id="req-9", feedback_id=12)
        failed.exc_info = sys.exc_info()

    entry = json.loads(logs.JsonFormatter().format(failed))

    assert entry["message"] == "failed x"
    assert entry["level"] == "INFO" and entry["logger"] == "feedbackhub.test"
    assert entry["request_id"] == "req-9"
    assert entry["feedback_id"] == 12
    assert "ValueError: boom" in entry["exception"]
    assert entry["time"].endswith("+00:00")


def test_given_the_settings_when_logging_then_the_console_handler_filters_and_formats_by_log_format(settings):
    console = settings.LOGGING["handlers"]["console"]

    assert console["filters"] == ["request_id"]
    assert console["formatter"] == settings.LOG_FORMAT == "text"  # DEBUG=1 in the tests, no LOG_FORMAT


def test_given_an_eager_task_in_a_request_then_it_runs_with_the_request_id():
    seen = []

    @app.task(name="tests.logs.seen")
    def remember():
        seen.append(logs.current_request_id())

    token = logs.request_id_var.set("req-eager")
    try:
        remember.apply()
    finally:
        logs.request_id_var.reset(token)

    assert seen == ["req-eager"]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_given_a_request_that_queues_a_task_when_a_real_worker_runs_it_then_its_log_lines_carry_the_request_id(
    tmp_path: Path,
):
    """JSON logs in the worker (LOG_FORMAT=json): the task's own lines have the id of the request that queued it."""
    sent = []

    def view(request):
        sent.append(refresh_theme_rollups.delay([]))
        return HttpResponse("queued")

    class Request:
        headers = {"X-Request-ID": "req-into-worker-1"}

    with (
        own_redis() as redis,
        sending_to(redis),
        running_worker(redis, "logs", tmp_path, env={"LOG_FORMAT": "json"}) as worker,
    ):
        logs.RequestIdMiddleware(view)(Request())
        refresh_theme_rollups.delay([])  # queued outside any request: no id

        def lines() -> list[dict]:
            found = []
            for line in worker.log().splitlines():
                if line.startswith("{"):
                    entry = json.loads(line)
                    if "succeeded" in entry["message"] and refresh_theme_rollups.name in entry["message"]:
                        found.append(entry)
            return found

        wait_for(lambda: len(lines()) == 2, 60, worker.describe)
    by_task = {entry["message"].split("[")[1].split("]")[0]: entry["request_id"] for entry in lines()}

    assert by_task[sent[0].id] == "req-into-worker-1"
    assert set(by_task.values()) == {None, "req-into-worker-1"}  # the other task: sent outside a request
