"""The Celery-beat schedules a fresh install gets from the migrations: each one names a task the worker knows, with
arguments that task takes, and carries an expiry no longer than its period (a backlog never runs it twice).

The checks go over every PeriodicTask, so a schedule added later by any app is held to them too.
"""

from __future__ import annotations

import inspect
import json
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from feedback.models import FeedbackEmbedding
from feedback.tasks import EMBED_LOCK_KEY, embed_pending
from feedbackhub.celery import app
from tests.factories import make_feedback

pytestmark = pytest.mark.django_db

MINUTES_IN_A_WEEK = 7 * 24 * 60
# What issue 9 asks to be scheduled (task → at most how far apart its runs may be); others may be added beside them.
REQUIRED = {
    "feedback.tasks.triage_untriaged": timedelta(minutes=1),  # triage sweep for untriaged items
    "integrations.tasks.send_pending_triage": timedelta(minutes=1),  # ingestion's triage outbox
    "feedback.tasks.embed_pending": timedelta(minutes=5),  # embedding backfill
    "feedback.tasks.retrain_classifier": timedelta(days=1),  # offline classifier retraining
    "integrations.tasks.sync_connectors": timedelta(minutes=15),  # connector incremental sync
    "feedbackhub.tasks.process_pending_events": timedelta(minutes=1),  # close-the-loop dispatch (domain events)
    "notifications.tasks.deliver_due": timedelta(minutes=1),  # the outbox: what is due, or whose worker died
    "notifications.tasks.write_weekly_digests": timedelta(days=7),  # weekly digest (Fridays)
    "insights.tasks.check_escalations": timedelta(hours=1),  # escalation checks, theme critical mass among them
    # issue 13: the outbound outbox's sweep (tracker issues, CRM updates) and community listening
    "integrations.outbound_tasks.send_due_outbound_actions": timedelta(minutes=1),
    "integrations.community_tasks.fetch_community_watches": timedelta(minutes=30),
}


def known_tasks() -> set[str]:
    """The task names a worker of this project registers (it imports every app's tasks module the same way)."""
    app.loader.import_default_modules()
    return set(app.tasks)


def period(task: PeriodicTask) -> timedelta | None:
    """The shortest time between two runs of ``task``'s schedule (None for a kind with no fixed rhythm)."""
    if task.interval:
        return task.interval.schedule.run_every
    if task.crontab:
        schedule = task.crontab.schedule
        runs = [
            minute
            for minute in range(MINUTES_IN_A_WEEK)
            if (minute // 1440) in schedule.day_of_week  # 0 = Sunday, as crontab counts
            and (minute // 60) % 24 in schedule.hour
            and minute % 60 in schedule.minute
        ]
        assert runs, f"{task.name}: its crontab never fires in a week"
        gaps = [later - earlier for earlier, later in zip(runs, [*runs[1:], runs[0] + MINUTES_IN_A_WEEK], strict=True)]
        return timedelta(minutes=min(gaps))
    return None


def test_given_a_fresh_install_then_every_schedule_runs_a_known_task_with_its_arguments_and_an_expiry():
    tasks = known_tasks()
    schedules = list(PeriodicTask.objects.select_related("interval", "crontab"))

    problems = []
    for schedule in schedules:
        if schedule.task not in tasks:
            problems.append(f"{schedule.name}: no task {schedule.task!r} is registered")
            continue
        try:
            inspect.signature(app.tasks[schedule.task].run).bind(
                *_json(schedule.args, []), **_json(schedule.kwargs, {})
            )
        except TypeError as error:
            problems.append(f"{schedule.name}: its arguments do not fit {schedule.task} ({error})")
        if not (schedule.expire_seconds or schedule.expires):
            problems.append(f"{schedule.name}: no expiry (expire_seconds or expires)")
        every = period(schedule)
        if schedule.expire_seconds and every is not None and timedelta(seconds=schedule.expire_seconds) > every:
            problems.append(f"{schedule.name}: expires after {schedule.expire_seconds} s, runs every {every}")
        if not schedule.enabled:
            problems.append(f"{schedule.name}: disabled on a fresh install")

    assert len(schedules) >= len(REQUIRED)
    assert problems == []


def test_given_a_fresh_install_then_the_jobs_issue_9_lists_are_scheduled_often_enough():
    schedules = {task.task: task for task in PeriodicTask.objects.select_related("interval", "crontab")}

    missing = sorted(set(REQUIRED) - set(schedules))
    too_rare = {name: str(period(schedules[name])) for name in set(REQUIRED) & set(schedules)}
    too_rare = {name: every for name, every in too_rare.items() if period(schedules[name]) > REQUIRED[name]}

    assert missing == []
    assert too_rare == {}


def test_given_a_fresh_install_then_the_triage_shadow_runs_every_15_minutes_under_its_insights_tasks_name():
    (schedule,) = PeriodicTask.objects.filter(task="insights.tasks.shadow_triage").select_related("interval")

    assert period(schedule) == timedelta(minutes=15) and schedule.expire_seconds == 840 and schedule.enabled
    assert "insights.tasks.shadow_triage" in known_tasks()


def test_given_the_embedding_backfill_running_on_another_worker_then_a_second_run_leaves_the_items_to_it(settings):
    settings.AI_PROVIDER = "offline"
    item = make_feedback(verbatim="The export to CSV times out", triaged_at=timezone.now())  # the backfill's kind
    other = connections.create_connection("default")  # the other worker's session, in the middle of its run
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [EMBED_LOCK_KEY])
        beside = embed_pending.apply().get()
        with other.cursor() as cursor:  # its run ends: the lock is released (a dead worker's goes with its session,
            cursor.execute("SELECT pg_advisory_unlock(%s)", [EMBED_LOCK_KEY])  # but only once its backend has exited)
    finally:
        other.close()
    after = embed_pending.apply().get()

    assert (beside, after) == (0, 1)
    assert FeedbackEmbedding.objects.filter(feedback=item).count() == 1


def _json(value, default):
    """A PeriodicTask's ``args``/``kwargs`` (JSON text) as Python."""
    return json.loads(value) if value else default
