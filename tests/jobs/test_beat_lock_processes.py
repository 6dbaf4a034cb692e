"""Two real ``celery beat`` processes (the project's LockedDatabaseScheduler) on one database and one Redis: a task
scheduled every 2 seconds is sent once per period, not twice; the holder killed (SIGKILL: no release), the other
beat takes over after the TTL and the rhythm goes on, once per period.

A 2-second schedule stands for the minute ones (same scheduler path, 30× shorter); the TTL is 3 s with a try every
second here (production: 30 s and 5 s).
"""

from __future__ import annotations

import re
import time

import pytest
import redis as redis_py
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from tests.jobs.real_worker import Beat, own_redis, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

EVERY = 2  # seconds
WINDOW = 12  # seconds of sending counted
TTL = 3
HOLDING = re.compile(r"holding the scheduler lock \(([^)]+)\)")


def sent(client: redis_py.Redis) -> int:
    return client.llen("default")  # no worker: every message beat sent stays queued


def count_over(client: redis_py.Redis, seconds: float) -> int:
    before = sent(client)
    time.sleep(seconds)
    return sent(client) - before


def test_given_two_beat_processes_then_a_task_is_sent_once_per_period_and_the_survivor_takes_over(tmp_path):
    PeriodicTask.objects.update(enabled=False)
    every, _ = IntervalSchedule.objects.get_or_create(every=EVERY, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.create(
        name="two beats", task="themes.tasks.refresh_stale_theme_rollups", interval=every, expire_seconds=EVERY
    )
    env = {"BEAT_LOCK_TTL": str(TTL), "BEAT_LOCK_RETRY": "1"}
    with own_redis() as redis:
        client = redis_py.Redis.from_url(redis.url)
        beats = [Beat(redis, name, tmp_path, env=env) for name in ("beat-a", "beat-b")]
        try:
            for beat in beats:
                beat.start()
            wait_for(lambda: any(HOLDING.search(beat.log()) for beat in beats), 30, lambda: beats[0].describe())
            wait_for(lambda: sent(client) > 0, 30, lambda: beats[0].describe())
            both_running = count_over(client, WINDOW)

            holder = next(beat for beat in beats if HOLDING.search(beat.log()))
            survivor = next(beat for beat in beats if beat is not holder)
            holder.kill()
            killed_at = time.monotonic()
            wait_for(lambda: HOLDING.search(survivor.log()), TTL + 10, survivor.describe)
            took_over_after = time.monotonic() - killed_at
            after_takeover = count_over(client, WINDOW)
        finally:
            for beat in beats:
                beat.stop()

    once_per_period = WINDOW / EVERY  # 6; two beats sending would make 12
    assert once_per_period - 1 <= both_running <= once_per_period + 1
    assert once_per_period - 1 <= after_takeover <= once_per_period + 1
    assert took_over_after <= TTL + 2
    print(f"two beats: {both_running} sends in {WINDOW} s; takeover {took_over_after:.1f} s; then {after_takeover}")
