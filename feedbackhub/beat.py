"""Exactly one scheduler: django-celery-beat's DatabaseScheduler behind a lock in Redis.

django-celery-beat has no lock (its issue #337): two beat processes — started by mistake, or side by side during a
rolling update — would each send every periodic task. ``LockedDatabaseScheduler`` (CELERY_BEAT_SCHEDULER) sends
nothing unless it holds the lock, as celery-redbeat and single-beat do:

- the lock is one Redis key (``LOCK_KEY``) holding a random token of this beat, set with ``SET NX PX`` and a short
  TTL (``BEAT_LOCK_TTL``, 30 s);
- the holder renews it on every tick (a Lua compare-and-``PEXPIRE``: only while the key still holds its own token),
  and ticks at least every ``BEAT_LOCK_RETRY`` seconds (5 s), so the TTL is six renewals long;
- a second beat tries to take it every ``BEAT_LOCK_RETRY`` seconds and meanwhile ticks nothing; when the holder dies
  its key expires and the waiting beat takes over within TTL + retry (≤ 35 s); a holder that stops cleanly deletes
  the key (compare-and-``DEL``) and the other takes over at its next try;
- a beat that takes the lock re-reads the schedule from the database first: each entry's last run as the previous
  holder saved it. The holder saves it after every task it sends (``sync_every_tasks = 1``, not every 3 minutes), so
  a takeover sends again at most a task sent in the instant before the previous holder died, and periodic tasks keep
  their ``expires``;
- when Redis cannot be reached the lock cannot be confirmed, so nothing is sent (nor could it be: Redis is the broker).

The holder also records each tick in the cache (``cache.get(LAST_TICK_CACHE_KEY)``: an ISO 8601 UTC time string,
e.g. ``"2026-12-05T23:30:00.123456+00:00"``) for the readiness check.
"""

from __future__ import annotations

import logging
import secrets
import socket
from datetime import UTC, datetime

import redis
from django.conf import settings
from django.core.cache import cache
from django_celery_beat.schedulers import DatabaseScheduler

log = logging.getLogger(__name__)

LOCK_KEY = "feedbackhub:beat:lock"  # a raw Redis key (the lock needs Lua, which the cache API does not offer)
LAST_TICK_CACHE_KEY = "beat:last_tick"  # through django.core.cache (KEY_PREFIX "feedbackhub")
LAST_TICK_KEEP = 24 * 3600  # seconds the last tick is kept: a beat gone for a day leaves no tick at all

RENEW = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0"
RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


class BeatLock:
    """A Redis lock with a TTL, held by ``token``: acquire or renew with ``hold()``, give it back with ``release()``."""

    def __init__(self, client: redis.Redis, *, key: str = LOCK_KEY, ttl: float, token: str | None = None):
        self.client, self.key, self.ttl_ms = client, key, int(ttl * 1000)
        self.token = token or f"{socket.gethostname()}:{secrets.token_hex(8)}"
        self.held = False
        self._renew = client.register_script(RENEW)
        self._release = client.register_script(RELEASE)

    def hold(self) -> bool:
        """Renew the lock if held, else try to take it. True while this beat may send; False on any Redis error."""
        try:
            if self.held and self._renew(keys=[self.key], args=[self.token, self.ttl_ms]):
                return True
            if self.held:
                log.warning("beat: lost the scheduler lock (expired or taken over); waiting to take it again")
            self.held = bool(self.client.set(self.key, self.token, nx=True, px=self.ttl_ms))
        except redis.RedisError:
            log.warning("beat: Redis unreachable, cannot confirm the scheduler lock: sending nothing", exc_info=True)
            self.held = False
        return self.held

    def release(self) -> None:
        """Delete the key if it still holds this beat's token (never another beat's lock)."""
        if not self.held:
            return
        self.held = False
        try:
            self._release(keys=[self.key], args=[self.token])
        except redis.RedisError:
            log.warning("beat: could not release the scheduler lock; it expires by itself", exc_info=True)


def redis_client() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)


class LockedDatabaseScheduler(DatabaseScheduler):
    """The DatabaseScheduler, ticking only while it holds ``BeatLock`` (module docstring)."""

    def __init__(self, *args, **kwargs):
        self.lock = BeatLock(redis_client(), ttl=settings.BEAT_LOCK_TTL)
        self.lock_retry = float(settings.BEAT_LOCK_RETRY)
        kwargs["sync_every_tasks"] = 1  # save each entry's last run right after sending it: a takeover reads it
        super().__init__(*args, **kwargs)
        self.max_interval = min(self.max_interval, self.lock_retry)

    def tick(self, *args, **kwargs) -> float:
        was_holder = self.lock.held
        if not self.lock.hold():
            return self.lock_retry
        if not was_holder:
            log.info("beat: holding the scheduler lock (%s); reading the schedule from the database", self.lock.token)
            self.reload_schedule()
        self.record_tick()
        return min(super().tick(*args, **kwargs), self.lock_retry)

    def reload_schedule(self) -> None:
        """The schedule as the database has it now (last runs saved by a previous holder); the heap is rebuilt."""
        self._schedule = self.all_as_schedule()
        self._last_full_sync = datetime.now()  # naive local, as DatabaseScheduler.schedule compares it
        # Rebuilt by the next tick through DatabaseScheduler's own flag, which that tick consumes (``_heap = None``
        # would skip the check that consumes it, and the tick after would rebuild the heap from stale entries).
        self._heap, self._heap_invalidated = [], True

    def reserve(self, entry):
        """As Celery's Scheduler does (DatabaseScheduler does not): the schedule keeps the advanced entry, so a heap
        rebuilt from it never finds a task just sent due again."""
        new_entry = super().reserve(entry)
        self._schedule[new_entry.name] = new_entry
        return new_entry

    def record_tick(self) -> None:
        try:
            cache.set(LAST_TICK_CACHE_KEY, datetime.now(UTC).isoformat(), LAST_TICK_KEEP)
        except Exception:  # noqa: BLE001 - the readiness figure must never stop the scheduler
            log.warning("beat: could not record the tick in the cache", exc_info=True)

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.lock.release()
