"""The hub's processes — web (gunicorn), worker (Celery), beat — as command lines, for `manage.py run_hub`.

``run_hub`` with no role starts all three as its children on embedded services (``make run``); ``run_hub --role
web|worker|beat`` replaces itself with one of them, against the DATABASE_URL and REDIS_URL of the environment (a
container's command, a systemd unit). Both build the command lines here, so a role runs exactly what ``make run``
runs. Each process gets its own ``HUB_ROLE`` (web: the database statement timeout of feedbackhub.db_settings;
worker and beat: none, whatever the parent's environment said).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from feedbackhub.queues import QUEUE_NAMES

BASE_DIR = Path(__file__).resolve().parent.parent
GUNICORN_CONF = Path(__file__).resolve().parent / "gunicorn_conf.py"
ROLES = ("all", "web", "worker", "beat", "migrate")
PROCESS_ROLES = ("web", "worker", "beat")  # the roles that are one long-running process of their own
EXTERNAL_SERVICES = ("DATABASE_URL", "REDIS_URL")


class RoleError(ValueError):
    """A role asked with arguments or an environment it cannot run with; the message says what to change."""


@dataclass(frozen=True)
class Process:
    """One process to start: its command line and the variables it gets on top of the environment."""

    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)


def program(name: str) -> str:
    """A console script of this interpreter's environment (gunicorn, celery)."""
    return os.path.join(os.path.dirname(sys.executable), name)


def parse_queues(raw: str | None) -> tuple[str, ...]:
    """``--queues triage,default`` → ("triage", "default"), checked against feedbackhub.queues; None/"" → all."""
    if raw is None or not raw.strip():
        return QUEUE_NAMES
    names = tuple(dict.fromkeys(name.strip() for name in raw.split(",") if name.strip()))
    unknown = [name for name in names if name not in QUEUE_NAMES]
    if unknown or not names:
        raise RoleError(
            f"--queues {raw!r}: unknown queue {', '.join(unknown) or '(none given)'}. "
            f"The queues are {', '.join(QUEUE_NAMES)} (feedbackhub/queues.py); give one or more, comma-separated."
        )
    return names


def check_role_arguments(role: str, *, queues: str | None, concurrency: int | None, environ) -> None:
    """Refuse what a role cannot do, before anything starts."""
    if role not in ROLES:
        raise RoleError(f"--role {role!r}: choose one of {', '.join(ROLES)}.")
    if role != "worker" and queues is not None:
        raise RoleError(f"--queues applies to --role worker, not --role {role}.")
    if role != "worker" and concurrency is not None:
        raise RoleError(f"--concurrency applies to --role worker, not --role {role}.")
    if concurrency is not None and concurrency < 1:
        raise RoleError(f"--concurrency {concurrency}: at least 1 pool process.")
    if role == "worker":
        parse_queues(queues)
    if role != "all":
        missing = [name for name in EXTERNAL_SERVICES if not (environ.get(name) or "").strip()]
        if missing:
            raise RoleError(
                f"--role {role} runs against your own PostgreSQL and Redis, and {' and '.join(missing)} "
                f"{'is' if len(missing) == 1 else 'are'} not set. Set DATABASE_URL and REDIS_URL (deploy/README.md), "
                "or run `manage.py run_hub` with no role: it starts embedded servers and every process itself."
            )


def web(*, host: str, port: int, workers: int | None = None) -> Process:
    """gunicorn with feedbackhub/gunicorn_conf.py; ``workers`` None: the config's formula (WEB_CONCURRENCY first)."""
    argv = [program("gunicorn"), "feedbackhub.wsgi:application", "--config", str(GUNICORN_CONF)]
    argv += ["--bind", f"{host}:{port}"]
    if workers is not None:
        argv += ["--workers", str(workers)]
    return Process(argv, {"HUB_ROLE": "web"})


def worker(
    *, queues: tuple[str, ...] | None = None, concurrency: int | None = None, name: str | None = None
) -> Process:
    """A Celery worker: ``queues`` None consumes every queue (no -Q); its node name defaults to its queues."""
    argv = [program("celery"), "-A", "feedbackhub", "worker", "--loglevel", log_level()]
    if queues is not None:
        argv += ["--queues", ",".join(queues)]
    if concurrency is not None:
        argv += ["--concurrency", str(concurrency)]
    # Two workers on one host need two node names (Celery warns of duplicates and mixes up their replies).
    argv += ["--hostname", name or f"{'-'.join(queues) if queues else 'all'}@%h"]
    return Process(argv, {"HUB_ROLE": "worker"})


def beat() -> Process:
    """Celery beat with the locked scheduler of settings (feedbackhub.beat): a second beat waits, sends nothing."""
    return Process([program("celery"), "-A", "feedbackhub", "beat", "--loglevel", log_level()], {"HUB_ROLE": "beat"})


def log_level() -> str:
    return (os.environ.get("LOG_LEVEL") or "INFO").upper()


def role_process(role: str, *, host: str, port: int, web_workers: int | None, queues: str | None,
                 concurrency: int | None) -> Process:  # fmt: skip
    """The one process ``run_hub --role <role>`` becomes (web, worker or beat)."""
    if role == "web":
        return web(host=host, port=port, workers=web_workers)
    if role == "worker":
        return worker(queues=parse_queues(queues), concurrency=concurrency or default_concurrency())
    if role == "beat":
        return beat()
    raise RoleError(f"--role {role} is not one process of its own")


def default_concurrency() -> int:
    """A worker's pool size when not given: one process per available core (the CPU set and cgroup quota counted,
    unlike Celery's own default, which counts every core of the host)."""
    from feedbackhub.gunicorn_conf import available_cores

    return available_cores()


def environment(process: Process, environ=os.environ) -> dict[str, str]:
    """The environment ``process`` runs with: this one plus its own variables. An empty WEB_CONCURRENCY (an env file's
    ``WEB_CONCURRENCY=``) is left out: gunicorn reads it with int() on import and would not start."""
    env = {**environ, **process.env}
    if not env.get("WEB_CONCURRENCY", "x").strip():
        del env["WEB_CONCURRENCY"]
    return env


def exec_process(process: Process) -> None:
    """Replace this process with ``process`` (signals then reach gunicorn or Celery directly; no Python parent
    holding Django's memory). Never returns."""
    sys.stdout.flush()
    sys.stderr.flush()
    os.chdir(BASE_DIR)
    os.execve(process.argv[0], process.argv, environment(process))
