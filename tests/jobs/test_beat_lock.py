"""Exactly one scheduler: two LockedDatabaseSchedulers in this process, on a Redis of this module's own and the test
database. Only the lock's holder sends; when it stops renewing (dies) the other takes over after the TTL and does not
send again what the first one sent; a holder that stops cleanly hands over at once; Redis down, nobody sends.

The TTL is 2 s here (production 30 s, renewed every 5 s) so the takeover is seen in seconds.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from feedbackhub.beat import LAST_TICK_CACHE_KEY, LOCK_KEY, LockedDatabaseScheduler, redis_client
from feedbackhub.celery import app
from tests.jobs.real_worker import own_redis, sending_to, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

TTL, RETRY = 2, 0.2
EVERY_SECOND = "lock-test: every second"
HOURLY = "lock-test: hourly"


@pytest.fixture(scope="module")
def redis():
    with own_redis() as redis, sending_to(redis):
        yield redis


@pytest.fixture
def beat_settings(settings, redis):
    settings.REDIS_URL = redis.url  # the lock's Redis (the broker is the same one, through sending_to)
    settings.BEAT_LOCK_TTL, settings.BEAT_LOCK_RETRY = TTL, RETRY
    redis_client().flushdb()
    PeriodicTask.objects.update(enabled=False)  # only this test's schedules are due
    task = "themes.tasks.refresh_stale_theme_rollups"
    second, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.SECONDS)
    hour, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.HOURS)
    PeriodicTask.objects.create(name=EVERY_SECOND, task=task, interval=second, expire_seconds=1)
    # Last run two hours ago: due at once (a task that never ran counts from now, as django-celery-beat does).
    last_run = timezone.now() - timedelta(hours=2)
    PeriodicTask.objects.create(name=HOURLY, task=task, interval=hour, expire_seconds=3600, last_run_at=last_run)
    return settings


class Beat:
    """One scheduler and what it sent (names of the entries, in order)."""

    def __init__(self):
        self.scheduler = LockedDatabaseScheduler(app=app)
        self.sent: list[str] = []
        send = self.scheduler.apply_async

        def recording(entry, *args, **kwargs):
            self.sent.append(entry.name)
            return send(entry, *args, **kwargs)

        self.scheduler.apply_async = recording

    def tick(self) -> None:
        self.scheduler.tick()


def run(beats: list[Beat], seconds: float) -> None:
    """Tick each beat every 0.1 s for ``seconds`` (a real beat sleeps what tick returns; 0.1 s is finer)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for beat in beats:
            beat.tick()
        time.sleep(0.1)


def test_given_two_schedulers_then_only_the_lock_holder_sends_and_each_task_once_per_period(beat_settings):
    first, second = Beat(), Beat()

    run([first, second], 3.5)

    assert first.scheduler.lock.held and not second.scheduler.lock.held
    assert second.sent == []
    assert first.sent.count(HOURLY) == 1
    assert 3 <= first.sent.count(EVERY_SECOND) <= 5  # once a second, not twice
    assert redis_client().pttl(LOCK_KEY) > (TTL - 1) * 1000  # renewed on every tick
    tick = datetime.fromisoformat(cache.get(LAST_TICK_CACHE_KEY))  # for the readiness check
    assert abs(datetime.now(tick.tzinfo) - tick) < timedelta(seconds=2)


def test_given_the_holder_dies_then_the_other_takes_over_after_the_ttl_and_sends_nothing_twice(beat_settings):
    first, second = Beat(), Beat()  # both read the schedule now: the hourly task never ran
    run([first, second], 1)
    assert first.sent.count(HOURLY) == 1 and second.sent == []

    died_at = time.monotonic()  # the first one stops ticking: no renewal, no release (SIGKILL, machine gone)
    wait_for(lambda: (second.tick(), second.scheduler.lock.held)[1], TTL + 3, "the second beat taking the lock")
    took_over_after = time.monotonic() - died_at
    run([second], 2.5)

    assert TTL - 0.5 <= took_over_after <= TTL + 1
    assert second.sent.count(EVERY_SECOND) >= 2  # the schedule goes on
    assert HOURLY not in second.sent  # its last run, saved by the first beat, was read back: not sent again


def test_given_the_holder_stops_cleanly_then_the_other_takes_over_at_its_next_try(beat_settings):
    first, second = Beat(), Beat()
    run([first, second], 0.5)

    first.scheduler.close()
    second.tick()

    assert second.scheduler.lock.held
    assert redis_client().get(LOCK_KEY).decode() == second.scheduler.lock.token


def test_given_redis_is_down_then_no_scheduler_sends(beat_settings, redis):
    beat = Beat()
    run([beat], 0.5)
    sent = len(beat.sent)
    redis.stop()
    try:
        run([beat], 1.5)
        assert not beat.scheduler.lock.held
        assert len(beat.sent) == sent
    finally:
        redis.start()
