"""The real thing for the jobs tests: a Redis of the test's own, Celery workers in their own processes on it and on
the test database, and the test process's Celery app sending to that Redis.

Everything started here is stopped by the context managers, also when a test fails; processes are ended by their
own id (a worker and its pool children share the process group the worker was started in, and only that group is
signalled).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from urllib.parse import quote

from django.db import connections
from kombu import pools

from feedbackhub import embedded
from feedbackhub.celery import app
from feedbackhub.settings import kombu_url

BASE_DIR = Path(__file__).resolve().parents[2]
READY_TIMEOUT = 90  # seconds for a worker to start (Django, the task modules) on 2 busy cores


class OwnRedis:
    """A redis-server of one test module (a unix socket in a short temporary folder), stopped and started at will."""

    def __init__(self, root: Path):
        self.root = root

    @property
    def url(self) -> str:
        return embedded.redis_url(self.root)

    @property
    def broker_url(self) -> str:
        return kombu_url(self.url)

    def start(self) -> None:
        embedded.start_redis(self.root, persistent=False)  # a restart comes back empty, as a crashed Redis would

    def stop(self) -> None:
        embedded.stop_redis(self.root)


@contextmanager
def own_redis() -> Iterator[OwnRedis]:
    root = Path(tempfile.mkdtemp(prefix="fbh-jobs-", dir="/tmp"))
    redis = OwnRedis(root)
    try:
        redis.start()
        yield redis
    finally:
        with suppress(embedded.EmbeddedServiceError):
            redis.stop()
        shutil.rmtree(root, ignore_errors=True)


def _reset_broker_pools() -> None:
    """Forget the connections the app has open or pooled, so the next send connects to the broker configured now.

    kombu keeps its pools in a process-wide registry keyed by connection: closing the app's pool without clearing
    that registry left the closed pool there, and the next test sending to the usual broker got "Acquire on closed
    pool". ``kombu.pools.reset`` closes and forgets them all."""
    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


@contextmanager
def sending_to(redis: OwnRedis) -> Iterator[None]:
    """While inside, this process's Celery app sends its tasks to ``redis`` (then back to the configured broker)."""
    before = app.conf.broker_url
    _reset_broker_pools()
    app.conf.broker_url = redis.broker_url
    try:
        yield
    finally:
        _reset_broker_pools()
        app.conf.broker_url = before


def worker_database_url() -> str:
    """A DATABASE_URL for the test database pytest-django created (call it once that database exists)."""
    db = connections["default"].settings_dict
    user = quote(db.get("USER") or "", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    host = quote(db.get("HOST") or "", safe="")
    return f"postgres://{user}{password}@{host}:{db.get('PORT') or 5432}/{db['NAME']}"


class Worker:
    """``python -m tests.jobs.worker`` in its own process group: start it, wait until it is ready, stop or kill it."""

    ready_line = " ready."

    def __init__(self, redis: OwnRedis, name: str, log_dir: Path, *, concurrency: int = 1, env: dict | None = None):
        self.redis, self.name, self.concurrency = redis, name, concurrency
        self.log_dir = log_dir
        self.log_path = log_dir / f"{name}.log"
        self.env = env or {}
        self.process: subprocess.Popen | None = None

    def arguments(self) -> list[str]:
        return [
            "worker",
            "--pool=prefork",
            f"--concurrency={self.concurrency}",
            f"--hostname={self.name}@jobs-test",
            "--without-mingle",
            "--without-gossip",
            "--loglevel=INFO",
        ]

    def start(self) -> Worker:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "feedbackhub.settings",
            "DEBUG": "1",
            "DATABASE_URL": worker_database_url(),
            "REDIS_URL": self.redis.url,
            "PYTHONUNBUFFERED": "1",
            **self.env,
        }
        self.log_path.write_text("")
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "tests.jobs.worker", *self.arguments()],
                cwd=BASE_DIR,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_for(self._started, READY_TIMEOUT, self.describe)
        if self.process.poll() is not None:
            raise RuntimeError(f"{self.name} exited at start:\n{self.log()[-4000:]}")
        return self

    def _started(self) -> bool:
        return self.ready_line in self.log() or self.process.poll() is not None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def describe(self) -> str:
        return f"{self.name}; its log:\n{self.log()[-4000:]}"

    def kill(self) -> None:
        """SIGKILL the worker and its pool children at once (the machine it ran on is gone)."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self._reap()

    def stop(self) -> None:
        """Warm shutdown (SIGTERM: the task in hand finishes), SIGKILL if it takes longer than 20 s."""
        if self.process is None:
            return
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            with suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=20)
        self.kill()

    def _reap(self) -> None:
        if self.process is None:
            return
        with suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)  # pool children left behind by a parent that died first


class Beat(Worker):
    """Celery beat with the project's DatabaseScheduler (the PeriodicTasks of the test database)."""

    ready_line = "beat: Starting..."

    def arguments(self) -> list[str]:
        return [
            "beat",
            "--loglevel=INFO",
            f"--schedule={self.log_dir / 'beat-schedule'}",  # unused by the DatabaseScheduler; kept out of the project
            "--max-interval=1",
        ]


@contextmanager
def running_worker(redis: OwnRedis, name: str, log_dir: Path, **options) -> Iterator[Worker]:
    worker = Worker(redis, name, log_dir, **options)
    try:
        yield worker.start()
    finally:
        worker.stop()


@contextmanager
def running_beat(redis: OwnRedis, log_dir: Path, **options) -> Iterator[Beat]:
    beat = Beat(redis, "beat", log_dir, **options)
    try:
        yield beat.start()
    finally:
        beat.stop()


def wait_for(condition: Callable[[], bool], seconds: float, describe: Callable[[], str] | str = "") -> None:
    """Poll ``condition`` every 0.1 s; fail the test (saying what it awaited) if still false after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"still waiting after {seconds} s: {describe() if callable(describe) else describe}")
        time.sleep(0.1)
