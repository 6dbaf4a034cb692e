"""``python -m tests.jobs.worker [worker|beat] [options]``: a real Celery worker (or beat) for the jobs tests, in its
own process.

The test that starts it (``tests.jobs.real_worker.Worker``) points it at the test database (``DATABASE_URL``) and at
a Redis of the test's own (``REDIS_URL``): the shared test Redis is used by other test runs at the same time, and a
fault test stops its Redis or kills its worker. Besides the project's own tasks and handlers, this worker subscribes
the fault tests' slow handler (``SLOW_EVENT``). ``JOBS_TEST_VISIBILITY_TIMEOUT`` (seconds) shortens how long Redis
keeps a message a dead worker had taken before giving it to another (production: 2 h, ``CELERY_VISIBILITY_TIMEOUT``
in settings); ``JOBS_TEST_EMAIL_DIR`` is where the file-based email backend (``EMAIL_BACKEND``) writes the emails it
sends.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

SLOW_EVENT = "jobs_test.slow"  # payload: {"log": path, "n": int, "sleep": seconds, "after_commit": bool}
EFFECT_EVENT = "jobs_test.effect"  # what the slow handler writes: one event per slow event, keyed on its ``n``


def slow_handler(payload: dict) -> None:
    """Record the effect (in the handlers' transaction), then — on its first run only — sleep long enough to be
    killed: before the transaction commits, or with ``after_commit`` once it has committed (the task still runs, its
    message is not acknowledged yet). Each step is appended to ``payload["log"]`` (a file: it survives a kill)."""
    from django.db import transaction

    from feedbackhub.events import emit

    log = Path(payload["log"])
    first_run = not log.exists() or "start" not in log.read_text()
    note(log, "start")
    emit(EFFECT_EVENT, key=f"{EFFECT_EVENT}:{payload['n']}", n=payload["n"])
    if first_run and payload.get("after_commit"):
        transaction.on_commit(lambda: (note(log, "committed"), time.sleep(payload.get("sleep", 60))))
    elif first_run:
        time.sleep(payload.get("sleep", 60))
    note(log, "end")


def note(log: Path, step: str) -> None:
    with log.open("a") as out:
        out.write(f"{step} {os.getpid()}\n")


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "feedbackhub.settings")
    import django

    django.setup()
    from feedbackhub import events
    from feedbackhub.celery import app

    events.subscribe(SLOW_EVENT, slow_handler)
    if mail_dir := os.environ.get("JOBS_TEST_EMAIL_DIR"):
        from django.conf import settings

        settings.EMAIL_FILE_PATH = mail_dir
    if visibility := os.environ.get("JOBS_TEST_VISIBILITY_TIMEOUT"):
        app.conf.broker_transport_options = {
            **(app.conf.broker_transport_options or {}),
            "visibility_timeout": int(visibility),
            "unacked_restore_interval": 1,  # look for messages of dead workers every second
            "unacked_restore_throttle": 1,
        }
    argv = sys.argv[1:]
    app.start(argv if argv and argv[0] in ("worker", "beat") else ["worker", *argv])


if __name__ == "__main__":
    main()
