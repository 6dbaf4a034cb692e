"""The hub on several test hosts: PostgreSQL (with pgvector) and Redis on ``db``, gunicorn on ``web``, Celery
workers on ``w1`` and ``w2``, and beat wherever the test asks. Each process reaches the others only by their host
addresses (``DATABASE_URL`` and ``REDIS_URL`` name ``db``'s address), in production mode (DEBUG off), started the
way deploy/README.md documents: a one-off ``migrate``, then web, workers and beat.

The broker's visibility timeout is ``VISIBILITY_TIMEOUT`` here (short, so a message a cut-off worker held comes
back within the test); production uses CELERY_VISIBILITY_TIMEOUT's default of 2 hours, longer than any task.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from feedbackhub import embedded
from tests.cluster.network import Network

BASE_DIR = Path(__file__).resolve().parents[2]
RUN_HUB = [sys.executable, "manage.py", "run_hub"]  # the roles deploy/README.md documents (web, worker, beat, migrate)
PG_PORT, REDIS_PORT, WEB_PORT = 5432, 6379, 8000
VISIBILITY_TIMEOUT = 30  # seconds (production: 7200)
METRICS_TOKEN = "cluster-metrics-token"
HOSTS = ("db", "web", "w1", "w2")


def wait_for(condition: Callable[[], object], seconds: float, what: str | Callable[[], str], every: float = 0.5):
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"still waiting after {seconds:.0f} s: {what() if callable(what) else what}")
        time.sleep(every)


class Cluster:
    def __init__(self, *, worker_hosts: tuple[str, ...] = ("w1", "w2")):
        self.net = Network(HOSTS)
        self.root = Path(tempfile.mkdtemp(prefix="fbh-cluster-", dir="/tmp"))
        self.logs = self.root / "log"
        self.logs.mkdir()
        self.worker_hosts = worker_hosts
        self.slack_url = ""
        self.processes: dict[str, subprocess.Popen] = {}

    # --- lifecycle ------------------------------------------------------------------------------------------------

    def __enter__(self) -> Cluster:
        self.net.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        try:
            with_pg = (self.root / "pg" / "pg" / "PG_VERSION").exists()
            if with_pg:
                subprocess.run(
                    [str(embedded.postgres_bin("pg_ctl")), "-D", str(self.root / "pg" / "pg"), "-m", "immediate",
                     "stop"],
                    capture_output=True, user=embedded.PG_SYSTEM_USER, group=embedded.PG_SYSTEM_USER,
                )  # fmt: skip
        finally:
            self.net.close()
            if not os.environ.get("CLUSTER_KEEP_LOGS"):
                shutil.rmtree(self.root, ignore_errors=True)

    # --- addresses and environment --------------------------------------------------------------------------------

    @property
    def db(self) -> str:
        return self.net.address("db")

    @property
    def web_url(self) -> str:
        return f"http://{self.net.address('web')}:{WEB_PORT}"

    @property
    def database_url(self) -> str:
        return f"postgres://postgres@{self.db}:{PG_PORT}/{embedded.DATABASE_NAME}"

    @property
    def redis_url(self) -> str:
        return f"redis://{self.db}:{REDIS_PORT}/0"

    def env(self, **extra: str) -> dict[str, str]:
        return {
            **{key: value for key, value in os.environ.items() if not key.startswith(("PYTEST", "DJANGO_"))},
            "DJANGO_SETTINGS_MODULE": "feedbackhub.settings",
            "DEBUG": "0",
            "SECRET_KEY": "cluster-test-secret-key-" + "x" * 32,
            "ALLOWED_HOSTS": "*",
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "FEEDBACKHUB_DATA_DIR": str(self.root / "data"),  # nothing embedded is started: both URLs are set
            "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
            "SLACK_WEBHOOK_PRODUCT": self.slack_url,
            "SLACK_CONSOLE": "0",
            "METRICS_TOKEN": METRICS_TOKEN,
            "HUB_BASE_URL": f"https://{self.net.address('web')}",
            "LOG_FORMAT": "text",
            "PYTHONUNBUFFERED": "1",
            **extra,
        }

    # --- the database host ----------------------------------------------------------------------------------------

    def start_database(self) -> None:
        """PostgreSQL and Redis on ``db``, listening on its address only; PostgreSQL trusts the test subnet."""
        pg_root = self.root / "pg"
        tuning = {"listen_addresses": self.db, "max_connections": "200"}
        script = (
            "import sys; from pathlib import Path; from feedbackhub import embedded; "
            f"embedded.start_postgres(Path({str(pg_root)!r}), tuning={tuning!r})"
        )
        self.run_in("db", [sys.executable, "-c", script], "postgres-start")
        with (pg_root / "pg" / "pg_hba.conf").open("a") as hba:
            hba.write(f"host all all {self.net.prefix}.0/24 trust  # the cluster test's subnet\n")
        embedded.psql(pg_root, "SELECT pg_reload_conf();")
        self.start_redis()

    def start_redis(self) -> None:
        redis_dir = self.root / "redis"
        redis_dir.mkdir(exist_ok=True)
        command = [
            embedded.redis_server_binary(),
            *("--bind", self.db, "--port", str(REDIS_PORT), "--protected-mode", "no"),
            *("--dir", str(redis_dir), "--pidfile", str(redis_dir / "redis.pid")),
            *("--logfile", str(self.logs / "redis.log"), "--daemonize", "yes"),
            *("--save", "", "--appendonly", "no", "--maxmemory-policy", "noeviction"),
        ]
        self.run_in("db", command, "redis-start")
        wait_for(lambda: self.redis_answers(), 20, "Redis on the db host")

    def stop_redis(self) -> None:
        pid = int((self.root / "redis" / "redis.pid").read_text())
        os.kill(pid, signal.SIGTERM)
        wait_for(lambda: not Path(f"/proc/{pid}").exists(), 20, "Redis to stop")

    def stop_postgres(self) -> None:
        embedded.stop_postgres(self.root / "pg")

    def start_postgres(self) -> None:
        tuning = {"listen_addresses": self.db, "max_connections": "200"}
        script = (
            "from pathlib import Path; from feedbackhub import embedded; "
            f"embedded.start_postgres(Path({str(self.root / 'pg')!r}), tuning={tuning!r})"
        )
        self.run_in("db", [sys.executable, "-c", script], "postgres-restart")

    def redis_answers(self) -> bool:
        import redis

        try:
            return bool(redis.Redis.from_url(self.redis_url, socket_timeout=2).ping())
        except redis.RedisError:
            return False

    def redis(self):
        import redis

        return redis.Redis.from_url(self.redis_url, socket_timeout=5)

    # --- the hub's processes --------------------------------------------------------------------------------------

    def run_in(self, host: str, argv: list[str], name: str, timeout: float = 600, **extra_env: str) -> str:
        """A one-off command in ``host``; its output is returned, and a failure fails the test with it."""
        result = self.net.run(
            host, argv, cwd=BASE_DIR, env=self.env(**extra_env), capture_output=True, text=True, timeout=timeout
        )
        (self.logs / f"{name}.log").write_text(result.stdout + result.stderr)
        if result.returncode != 0:
            raise AssertionError(f"{name} failed on {host} ({result.returncode}):\n{result.stderr[-4000:]}")
        return result.stdout

    def report(self) -> dict:
        """``tests.cluster.hub.REPORT`` read over one short connection from the test process (on the bridge)."""
        import psycopg

        from tests.cluster.hub import report_from

        with psycopg.connect(self.database_url, connect_timeout=10) as connection, connection.cursor() as cursor:
            return report_from(cursor)

    def hub(self, *args: str) -> dict:
        """``python -m tests.cluster.hub``, on the web host (as an operator's shell there would run it)."""
        output = self.run_in("web", [sys.executable, "-m", "tests.cluster.hub", *args], f"hub-{args[0]}")
        return json.loads(output.strip().splitlines()[-1])

    def start(self, host: str, name: str, argv: list[str], **extra_env: str) -> subprocess.Popen:
        log = (self.logs / f"{name}.log").open("ab")
        process = self.net.popen(host, argv, cwd=BASE_DIR, env=self.env(**extra_env), stdout=log, stderr=log)
        self.processes[name] = process
        return process

    def log(self, name: str) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def tail(self, name: str, chars: int = 3000) -> str:
        return f"--- {name} ---\n{self.log(name)[-chars:]}"

    def start_hub(self, *, workers: tuple[str, ...], concurrency: int = 1, beats: tuple[str, ...] = ("web",)) -> str:
        """The whole hub, in deploy/README.md's order: database host, migrate, the cluster's own setup (its token is
        returned), web, a worker on each of ``workers``, a beat on each of ``beats`` (named beat-1, beat-2…)."""
        self.start_database()
        self.migrate()
        token = self.hub("setup")["token"]
        self.start_web()
        for host in workers:
            self.start_worker(host, concurrency=concurrency)
        for number, host in enumerate(beats, start=1):
            self.start_beat(host, f"beat-{number}")
        return token

    def migrate(self) -> None:
        """The one-off step before web, workers and beat start (compose's ``migrate`` service, systemd's oneshot)."""
        self.run_in("web", [*RUN_HUB, "--role", "migrate", "--no-collectstatic"], "migrate")

    def start_web(self, workers: int = 2) -> None:
        metrics_dir = self.root / "prometheus"
        metrics_dir.mkdir(exist_ok=True)
        address = self.net.address("web")
        self.start(
            "web",
            "web",
            [*RUN_HUB, "--role", "web", "--host", address, "--port", str(WEB_PORT), "--web-workers", str(workers)],
            PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
        )
        wait_for(lambda: self.get("/healthz")[0] == 200, 120, lambda: self.tail("web"))

    def start_worker(self, host: str, *, concurrency: int = 1) -> None:
        """A worker of every queue (a small company's worker host; deploy/README.md shows the roles by queue)."""
        self.start(host, host, [*RUN_HUB, "--role", "worker", "--concurrency", str(concurrency)])
        wait_for(lambda: " ready." in self.log(host), 120, lambda: self.tail(host))

    def start_beat(self, host: str, name: str) -> None:
        self.start(host, name, [*RUN_HUB, "--role", "beat"])
        wait_for(lambda: "beat: Starting..." in self.log(name), 120, lambda: self.tail(name))

    def get(self, path: str, headers: dict | None = None) -> tuple[int, bytes]:
        request = urllib.request.Request(self.web_url + path, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=15) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()
        except (urllib.error.URLError, OSError):
            return 0, b""
