"""Celery set for many workers: the invariants Celery's docs ask for hold, and every task is routed on purpose.

Redis gives a message that was not acknowledged to another worker after the visibility timeout: shorter than a task's
run or a countdown, the message is handed out again while still running or waiting (re-run in a loop); and the value
must be the same everywhere it is set.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django_celery_beat.models import PeriodicTask

from feedbackhub import queues
from feedbackhub.celery import app

ROOT = Path(__file__).resolve().parents[2]
PROJECT_PACKAGES = ("feedbackhub", "ai", "customers", "feedback", "themes", "launches", "integrations")
PROJECT_PACKAGES += ("notifications", "insights")
# A delay written in the code: countdown=600, countdown=min(600, …), retry_backoff_max=600, eta … timedelta(seconds=…)
DELAY_IN_CODE = re.compile(r"(?:countdown|retry_backoff_max|default_retry_delay)\s*=\s*(?:min\()?\s*(\d[\d_]*)")


def registered_tasks() -> dict:
    app.loader.import_default_modules()
    # not Celery's own, nor the throwaway tasks other test modules register (tests.logs.seen, tests.metrics.divide)
    return {name: task for name, task in app.tasks.items() if not name.startswith(("celery.", "tests."))}


def hard_limits() -> dict[str, float]:
    """Each task's hard time limit as a worker applies it (its own, an annotation's, or the default)."""
    return {name: task.time_limit or app.conf.task_time_limit for name, task in registered_tasks().items()}


def delays_in_code() -> list[tuple[str, int]]:
    found = []
    for package in PROJECT_PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for match in DELAY_IN_CODE.finditer(path.read_text()):
                found.append((f"{path.relative_to(ROOT)}: {match.group(0)}", int(match.group(1).replace("_", ""))))
    return found


def test_given_the_settings_then_the_visibility_timeout_is_one_value_everywhere_it_is_set():
    timeout = settings.CELERY_VISIBILITY_TIMEOUT

    assert app.conf.broker_transport_options["visibility_timeout"] == timeout
    assert app.conf.result_backend_transport_options["visibility_timeout"] == timeout
    assert not app.conf.result_backend or app.conf.result_backend_transport_options == app.conf.broker_transport_options


def test_given_every_task_then_the_visibility_timeout_is_longer_than_its_hard_time_limit():
    timeout = settings.CELERY_VISIBILITY_TIMEOUT
    limits = hard_limits()

    assert app.conf.task_time_limit and all(limits.values())  # no task may run for ever
    assert {name: limit for name, limit in limits.items() if limit >= timeout} == {}
    assert max(limits.values()) == queues.BATCH_TIME_LIMIT  # the batch tasks' hour is the longest


def test_given_every_delay_in_the_code_then_the_visibility_timeout_is_longer():
    delays = delays_in_code()
    tasks = registered_tasks().values()
    backoffs = [task.retry_backoff_max for task in tasks if getattr(task, "autoretry_for", None) and task.retry_backoff]

    assert len(delays) >= 3  # the scan finds the ones we know of (feedback, integrations, feedbackhub tasks)
    assert [d for d in delays if d[1] > settings.CELERY_MAX_COUNTDOWN] == []
    assert max(backoffs) <= settings.CELERY_MAX_COUNTDOWN
    assert settings.CELERY_MAX_COUNTDOWN < settings.CELERY_VISIBILITY_TIMEOUT


def test_given_the_settings_then_a_worker_that_dies_loses_no_message_and_hoards_none():
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1
    assert 0 < app.conf.task_soft_time_limit < app.conf.task_time_limit
    assert queues.BATCH_SOFT_TIME_LIMIT < queues.BATCH_TIME_LIMIT
    assert app.conf.result_expires
    assert app.conf.broker_connection_retry_on_startup is True
    assert app.conf.worker_max_memory_per_child


def test_given_every_registered_task_then_it_is_routed_on_purpose_to_a_known_queue():
    names = set(registered_tasks())

    assert names - set(queues.QUEUE_OF_TASK) == set()  # a new task must be given its queue in feedbackhub.queues
    assert set(queues.QUEUE_OF_TASK) - names == set()  # no route for a task that no longer exists
    routed = {name: app.amqp.router.route({}, name)["queue"].name for name in names}
    assert routed == queues.QUEUE_OF_TASK
    assert set(routed.values()) == set(queues.QUEUE_NAMES)


@pytest.mark.parametrize(
    ("task", "queue"),
    [
        ("feedback.tasks.triage_items", "triage"),
        ("notifications.tasks.deliver", "notifications"),
        ("feedback.tasks.embed_pending", "batch"),
        ("themes.tasks.suggest_themes", "batch"),
        ("notifications.tasks.write_weekly_digests", "batch"),
        ("feedbackhub.tasks.process_event", "default"),
        ("celery.backend_cleanup", "default"),
    ],
)
def test_given_a_task_sent_by_name_then_it_goes_to_the_queue_of_its_kind(task, queue):
    assert app.amqp.router.route({}, task)["queue"].name == queue


def test_given_a_worker_started_without_queues_then_it_consumes_every_queue():
    """`make run` starts one worker with no -Q: it must take every kind of work."""
    assert list(app.amqp.queues) == list(queues.QUEUE_NAMES)
    assert app.conf.task_default_queue == "default"


def test_given_a_batch_task_then_it_has_the_longer_limits_and_others_the_default():
    tasks = registered_tasks()

    assert tasks["feedback.tasks.embed_pending"].time_limit == queues.BATCH_TIME_LIMIT
    assert tasks["feedback.tasks.embed_pending"].soft_time_limit == queues.BATCH_SOFT_TIME_LIMIT
    assert (
        tasks["notifications.tasks.deliver"].time_limit or app.conf.task_time_limit
    ) == settings.CELERY_TASK_TIME_LIMIT


@pytest.mark.django_db
def test_given_the_periodic_tasks_then_none_overrides_its_route_and_each_keeps_its_expiry():
    overriding = list(PeriodicTask.objects.exclude(queue=None).exclude(queue="").values_list("name", flat=True))
    without_expiry = [
        task.name
        for task in PeriodicTask.objects.filter(enabled=True)
        if not (task.expire_seconds or task.expires) and not task.name.startswith("celery.")
    ]

    assert PeriodicTask.objects.exists()
    assert overriding == []
    assert without_expiry == []
