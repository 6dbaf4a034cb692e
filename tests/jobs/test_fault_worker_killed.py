"""A worker killed (SIGKILL) in the middle of a task: the task runs again and its effect happens exactly once.

The task is ``feedbackhub.tasks.process_event`` (acks_late, reject_on_worker_lost) running a slow test handler that
writes its effect (an event keyed on the slow event) in the handlers' transaction, then sleeps on its first run.
Two deaths: the pool process running the task (its worker hands the message back at once), and the whole worker —
main process and pool together, as when its machine goes — where Redis gives the message to the next worker once
its visibility timeout has passed (shortened here to 5 s; 2 h in production, ``CELERY_VISIBILITY_TIMEOUT`` in
settings).
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from django.db import transaction

from feedbackhub.events import emit
from feedbackhub.models import DomainEvent
from tests.jobs.real_worker import own_redis, running_worker, sending_to, wait_for
from tests.jobs.worker import EFFECT_EVENT, SLOW_EVENT

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SHORT_VISIBILITY = {"JOBS_TEST_VISIBILITY_TIMEOUT": "5"}


@pytest.fixture(scope="module")
def redis():
    """This module's Redis; the test process's Celery app sends to it."""
    with own_redis() as redis, sending_to(redis):
        yield redis


def emit_slow(log: Path, n: int, *, after_commit: bool = False) -> DomainEvent:
    """Commit a slow event: its task goes to the broker on commit, as any domain event's does."""
    with transaction.atomic():
        emit(SLOW_EVENT, key=f"{SLOW_EVENT}:{n}", log=str(log), n=n, sleep=120, after_commit=after_commit)
    return DomainEvent.objects.get(key=f"{SLOW_EVENT}:{n}")


def runs(log: Path) -> list[tuple[str, int]]:
    """The handler's starts and ends, with the pid of the process that ran it."""
    text = log.read_text() if log.exists() else ""
    return [(word, int(pid)) for word, pid in (line.split() for line in text.splitlines())]


def skipped_as_processed(log: str) -> bool:
    """Whether a ``process_event`` task ended returning False (its event was processed already)."""
    return any(
        "process_event" in line and "succeeded" in line and line.endswith(": False") for line in log.splitlines()
    )


def all_processed() -> bool:
    return not DomainEvent.objects.filter(processed_at__isnull=True).exists()


def test_given_the_pool_process_running_a_task_is_killed_then_the_worker_runs_it_again_with_one_effect(redis, tmp_path):
    log = tmp_path / "handler.log"
    with running_worker(redis, "pool-killed", tmp_path) as worker:
        event = emit_slow(log, n=1)
        wait_for(lambda: runs(log), 60, worker.describe)
        [(_, pool_process)] = runs(log)
        os.kill(pool_process, signal.SIGKILL)
        wait_for(all_processed, 60, worker.describe)

    event.refresh_from_db()
    assert [word for word, _ in runs(log)] == ["start", "start", "end"]
    assert runs(log)[1][1] != pool_process  # a new pool process ran it
    assert DomainEvent.objects.filter(name=EFFECT_EVENT).count() == 1  # the killed run's write was rolled back
    assert (event.attempts, event.last_error) == (1, "")
    assert "WorkerLostError" in worker.log()


def test_given_the_whole_worker_killed_mid_task_then_the_next_worker_runs_it_with_one_effect(redis, tmp_path):
    log = tmp_path / "handler.log"
    with running_worker(redis, "first", tmp_path, env=SHORT_VISIBILITY) as first:
        event = emit_slow(log, n=2)
        wait_for(lambda: runs(log), 60, first.describe)
        first.kill()
    event.refresh_from_db()
    after_kill = (event.processed_at, DomainEvent.objects.filter(name=EFFECT_EVENT).count())

    with running_worker(redis, "second", tmp_path, env=SHORT_VISIBILITY) as second:
        wait_for(all_processed, 90, second.describe)

    event.refresh_from_db()
    assert after_kill == (None, 0)  # nothing of the killed run was kept
    assert [word for word, _ in runs(log)] == ["start", "start", "end"]
    assert DomainEvent.objects.filter(name=EFFECT_EVENT).count() == 1
    assert (event.attempts, event.last_error) == (1, "")


def test_given_a_task_killed_after_its_work_committed_then_the_redelivered_message_does_it_no_second_time(
    redis, tmp_path
):
    log = tmp_path / "handler.log"
    with running_worker(redis, "killed-after-commit", tmp_path) as worker:
        event = emit_slow(log, n=3, after_commit=True)
        wait_for(lambda: "committed" in [word for word, _ in runs(log)], 60, worker.describe)
        os.kill(runs(log)[0][1], signal.SIGKILL)  # the work is committed, the message not acknowledged yet
        wait_for(lambda: skipped_as_processed(worker.log()), 60, worker.describe)

    event.refresh_from_db()
    assert [word for word, _ in runs(log)] == ["start", "end", "committed"]  # the handler ran once
    assert "WorkerLostError" in worker.log()
    assert DomainEvent.objects.filter(name=EFFECT_EVENT).count() == 1
    assert event.processed_at is not None and event.attempts == 1
