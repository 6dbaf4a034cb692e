"""`make run`'s command brings up the whole hub on embedded services and Ctrl-C takes down what it started.

The real runs use a data folder inside the project (FEEDBACKHUB_DATA_DIR must be) and a fresh interpreter; the
banner and bookkeeping details are also checked on the command object itself.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from io import StringIO
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connections

from feedbackhub import embedded, hub_processes
from feedbackhub.management.commands import run_hub

pytestmark = pytest.mark.slow

SUPERUSER_ENV = {"DJANGO_SUPERUSER_USERNAME": "olivia", "DJANGO_SUPERUSER_PASSWORD": "first-start-Secret-42"}


@pytest.fixture
def project_data_root():
    """A throw-away data folder inside the project (.data/t-XXXX): run_hub refuses one outside it."""
    parent = settings.BASE_DIR / ".data"
    parent.mkdir(exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix="t-", dir=parent))
    yield path
    embedded.stop_services(path)
    shutil.rmtree(path, ignore_errors=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def processes_mentioning(text: str) -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if text in cmdline:
                found.append(f"{entry.name}: {cmdline[:120]}")
    return found


def hub_env(data_root: Path, **extra: str) -> dict[str, str]:
    """This environment on embedded services of ``data_root``, with no superuser variables unless given."""
    dropped = {"DATABASE_URL", "REDIS_URL", *SUPERUSER_ENV, "DJANGO_SUPERUSER_EMAIL"}
    env = {key: value for key, value in os.environ.items() if key not in dropped}
    env.update({"DEBUG": "1", "FEEDBACKHUB_DATA_DIR": str(data_root), "PYTHONUNBUFFERED": "1", **extra})
    return env


def run_hub_until_banner(data_root: Path, port: int, *args: str, env: dict[str, str]) -> tuple[subprocess.Popen, Path]:
    """Start `manage.py run_hub` in its own session and wait for its banner; returns the process and its log."""
    log = data_root / "hub.log"
    with log.open("w") as output:
        hub = subprocess.Popen(
            [sys.executable, "manage.py", "run_hub", "--port", str(port), "--web-workers", "1", *args],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + 180
    while "FeedbackHub is running" not in log.read_text() and hub.poll() is None and time.monotonic() < deadline:
        time.sleep(0.3)
    return hub, log


def ctrl_c(hub: subprocess.Popen, log: Path) -> None:
    try:
        os.killpg(hub.pid, signal.SIGINT)  # what Ctrl-C in the terminal does
        assert hub.wait(60) == 0, log.read_text()[-3000:]
    finally:
        if hub.poll() is None:
            os.killpg(hub.pid, signal.SIGKILL)


def fetch_one(data_root: Path, sql: str, params: list) -> tuple:
    db = embedded.postgres_db_settings(data_root)
    with psycopg.connect(host=db["HOST"], port=db["PORT"], user="postgres", dbname=db["NAME"]) as conn:
        return conn.execute(sql, params).fetchone()


# --- real runs ---------------------------------------------------------------------------------------------------


def test_given_fresh_data_folder_when_hub_runs_then_demo_login_is_shown_and_ctrl_c_stops_everything(
    project_data_root,
):
    port = free_port()

    hub, log = run_hub_until_banner(project_data_root, port, env=hub_env(project_data_root))
    try:
        banner = log.read_text()
        assert "FeedbackHub is running" in banner, banner[-3000:]
        assert f"http://127.0.0.1:{port}/admin/" in banner
        assert "Demo login:              admin / admin" in banner  # the demo was loaded by this start
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/admin/login/", timeout=10) as response:
            assert response.status == 200
        assert embedded.postgres_is_ready(project_data_root) and embedded.redis_is_ready(project_data_root)
        assert processes_mentioning("celery -A feedbackhub worker") and processes_mentioning(
            "celery -A feedbackhub beat"
        )
    finally:
        ctrl_c(hub, log)

    assert "Stopped embedded PostgreSQL and Redis." in log.read_text()
    assert "FeedbackHub stopped." in log.read_text()
    assert not embedded.postgres_is_ready(project_data_root)  # it started both, so it stopped both
    assert not embedded.redis_is_ready(project_data_root)
    time.sleep(0.5)
    assert processes_mentioning(str(project_data_root)) == []


def test_given_postgres_running_when_hub_runs_without_demo_then_env_superuser_is_created_and_postgres_kept(
    project_data_root,
):
    embedded.start_postgres(project_data_root)  # e.g. `manage.py services start`, or another session using it
    port = free_port()

    hub, log = run_hub_until_banner(
        project_data_root, port, "--no-demo", env=hub_env(project_data_root, **SUPERUSER_ENV)
    )
    try:
        banner = log.read_text()
        assert "FeedbackHub is running" in banner, banner[-3000:]
        assert "Created superuser olivia (from DJANGO_SUPERUSER_USERNAME)." in banner
        assert "Log in as olivia (DJANGO_SUPERUSER_USERNAME)" in banner
        assert "admin / admin" not in banner
        assert fetch_one(project_data_root, "SELECT count(*) FROM auth_user WHERE username = %s", ["admin"]) == (0,)
        assert fetch_one(
            project_data_root, "SELECT is_superuser, is_staff FROM auth_user WHERE username = %s", ["olivia"]
        ) == (True, True)
    finally:
        ctrl_c(hub, log)

    assert "Stopped embedded Redis." in log.read_text()
    assert embedded.postgres_is_ready(project_data_root)  # not started by run_hub: still running
    assert not embedded.redis_is_ready(project_data_root)  # started by run_hub: stopped


def test_given_the_superuser_exists_when_run_hub_prepares_again_then_it_is_left_unchanged(project_data_root):
    embedded.start_postgres(project_data_root)
    script = (
        "import django; django.setup()\n"
        "from django.contrib.auth import get_user_model\n"
        "from feedbackhub.management.commands.run_hub import Command\n"
        "from django.core.management import call_command\n"
        "call_command('migrate', verbosity=0)\n"
        "Command().create_superuser_from_environment()\n"
        "import os; os.environ['DJANGO_SUPERUSER_PASSWORD'] = 'a-changed-Password-7'\n"
        "Command().create_superuser_from_environment()\n"
        "users = get_user_model().objects.filter(username='olivia')\n"
        "print(users.count(), users.get().check_password('first-start-Secret-42'), users.get().email == '')\n"
    )
    env = hub_env(project_data_root, DJANGO_SETTINGS_MODULE="feedbackhub.settings", **SUPERUSER_ENV)

    result = subprocess.run(
        [sys.executable, "-c", script], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )

    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.splitlines()[-1] == "1 True True"  # one user, first password kept, no email needed
    assert result.stdout.count("Created superuser olivia") == 1


def test_given_debug_off_when_hub_starts_with_demo_then_it_refuses_before_starting_anything(project_data_root):
    env = hub_env(
        project_data_root,
        DEBUG="0",
        SECRET_KEY="k8$wq2!v9zN3pXr7Lm4Tb6Yc1Hd5Gf0Js8Ke2Ua9Wo3Qi7Ep4Rt6Ys1Dx5Cv0Bn",
        ALLOWED_HOSTS="hub.example.com",
        DATABASE_URL="postgres://hub:secret@127.0.0.1:1/feedbackhub",  # nothing listens: must not be reached
        REDIS_URL="redis://127.0.0.1:1/0",
    )

    result = subprocess.run(
        [sys.executable, "manage.py", "run_hub", "--port", str(free_port())],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode != 0
    assert "the demo data is for development only" in result.stderr
    assert "run_hub --no-demo" in result.stderr and "createsuperuser" in result.stderr
    assert "DJANGO_SUPERUSER_USERNAME" in result.stderr
    assert "Applying migrations" not in result.stdout


def test_given_port_in_use_when_hub_starts_then_it_says_so_before_starting_anything(project_data_root):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]

        result = subprocess.run(
            [sys.executable, "manage.py", "run_hub", "--port", str(port)],
            cwd=settings.BASE_DIR,
            env=hub_env(project_data_root),
            capture_output=True,
            text=True,
            timeout=60,
        )

    assert result.returncode != 0
    assert f"Port {port} on 127.0.0.1 is already in use" in result.stderr
    assert not embedded.postgres_is_ready(project_data_root)


# --- the command object: banner, demo flag, what it stops ------------------------------------------------------


def command(*, demo_loaded: bool = False, started_services: list[str] | None = None) -> run_hub.Command:
    """The command as handle() leaves it after prepare(); its output is in ``.out``."""
    out = StringIO()
    cmd = run_hub.Command(stdout=out, stderr=StringIO())
    cmd.out = out
    cmd.demo_loaded = demo_loaded
    cmd.started_services = started_services or []
    return cmd


def test_given_demo_loaded_then_banner_shows_the_demo_login(monkeypatch):
    monkeypatch.delenv("DJANGO_SUPERUSER_USERNAME", raising=False)
    cmd = command(demo_loaded=True, started_services=["PostgreSQL", "Redis"])

    cmd.print_banner(host="0.0.0.0", port=8123)

    banner = cmd.out.getvalue()
    assert "http://127.0.0.1:8123/admin/" in banner
    assert "Demo login:              admin / admin" in banner
    assert "Ctrl-C stops them and the embedded PostgreSQL and Redis." in banner


@pytest.mark.parametrize(
    ("username", "expected"),
    [
        (None, "Log in with the superuser you created (`python manage.py createsuperuser`)."),
        ("olivia", "Log in as olivia (DJANGO_SUPERUSER_USERNAME)"),
    ],
)
def test_given_no_demo_then_banner_points_to_the_superuser_and_not_the_demo_login(monkeypatch, username, expected):
    if username:
        monkeypatch.setenv("DJANGO_SUPERUSER_USERNAME", username)
    else:
        monkeypatch.delenv("DJANGO_SUPERUSER_USERNAME", raising=False)
    cmd = command(demo_loaded=False, started_services=["Redis"])

    cmd.print_banner(host="127.0.0.1", port=8123)

    banner = cmd.out.getvalue()
    assert expected in banner
    assert "admin / admin" not in banner
    assert "Ctrl-C stops them and the embedded Redis." in banner


@pytest.mark.parametrize(("no_demo", "loads_demo"), [(False, True), (True, False)])
def test_given_prepare_then_demo_flag_follows_whether_load_demo_ran(monkeypatch, no_demo, loads_demo):
    calls = []
    monkeypatch.setattr(run_hub.embedded, "ensure_services", lambda quiet: ["Redis"])
    monkeypatch.setattr(run_hub, "call_command", lambda name, *args, **kwargs: calls.append(name))
    cmd = command()
    monkeypatch.setattr(cmd, "create_superuser_from_environment", lambda: calls.append("superuser"))

    cmd.prepare(no_demo=no_demo)

    assert cmd.demo_loaded is loads_demo
    assert ("load_demo" in calls) is loads_demo
    assert calls.index("superuser") > calls.index("migrate")
    assert cmd.started_services == ["Redis"]


def test_given_only_redis_started_by_this_run_then_only_redis_is_stopped(monkeypatch):
    stopped = []
    monkeypatch.setattr(run_hub.embedded, "stop_postgres", lambda: stopped.append("PostgreSQL") or True)
    monkeypatch.setattr(run_hub.embedded, "stop_redis", lambda: stopped.append("Redis") or True)
    cmd = command(started_services=["Redis"])

    cmd.stop_own_services()

    assert stopped == ["Redis"]
    assert "Stopped embedded Redis." in cmd.out.getvalue()


def test_given_debug_off_when_run_hub_is_called_with_demo_then_command_error(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="demo data is for development only"):
        call_command("run_hub", "--port", "0")  # were the refusal missing: "PORT=0 is not a TCP port", nothing started


def test_given_the_children_when_started_then_each_runs_as_its_own_role(monkeypatch):
    """The web role gets the database statement timeout (feedbackhub.db_settings); workers and beat run long tasks,
    whatever HUB_ROLE the parent was started with."""
    started = {}  # the program's role → (its command line, its environment)
    monkeypatch.setattr(
        run_hub.subprocess,
        "Popen",
        lambda command, **kwargs: started.setdefault(kwargs["env"]["HUB_ROLE"], (command, kwargs["env"])),
    )
    monkeypatch.setenv("HUB_ROLE", "web")  # e.g. left in a shell: must not reach the worker
    command = run_hub.Command()
    command.children = {}

    command.start_children(host="127.0.0.1", port=8000, web_workers=1)

    assert set(started) == {"web", "worker", "beat"}
    web_argv = started["web"][0]
    assert web_argv[web_argv.index("--bind") + 1] == "127.0.0.1:8000"
    assert web_argv[web_argv.index("--workers") + 1] == "1"
    assert web_argv[web_argv.index("--config") + 1] == str(hub_processes.GUNICORN_CONF)
    worker_argv = started["worker"][0]
    assert worker_argv[3] == "worker" and "--queues" not in worker_argv  # make run: one worker, every queue
    assert worker_argv[worker_argv.index("--concurrency") + 1] == "2"
    assert worker_argv[worker_argv.index("--hostname") + 1] == "hub-8000@%h"
    assert started["beat"][0][3] == "beat"


# --- run_hub --role: one part of the hub against servers of your own ---------------------------------------------

EXTERNAL = {
    "DATABASE_URL": "postgres://hub:pw@db.internal:5432/feedbackhub",
    "REDIS_URL": "redis://cache.internal:6379/0",
}


@pytest.fixture
def external_services(monkeypatch):
    for name, value in EXTERNAL.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def exec_calls(monkeypatch):
    """The process each role would become (instead of replacing the test's own)."""
    calls: list[hub_processes.Process] = []
    monkeypatch.setattr(hub_processes, "exec_process", calls.append)
    return calls


def option(argv: list[str], name: str) -> str:
    return argv[argv.index(name) + 1]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "worker", "--queues", "triage,slack"], "unknown queue slack"),
        (["--role", "worker", "--queues", " , "], "unknown queue (none given)"),
        (["--role", "web", "--queues", "triage"], "--queues applies to --role worker, not --role web"),
        (["--role", "beat", "--concurrency", "2"], "--concurrency applies to --role worker"),
        (["--role", "worker", "--concurrency", "0"], "--concurrency 0: at least 1"),
        (["--role", "all", "--queues", "batch"], "--queues applies to --role worker, not --role all"),
    ],
)
def test_given_wrong_role_arguments_then_a_clear_error_and_nothing_runs(external_services, exec_calls, args, message):
    with pytest.raises(CommandError) as error:
        call_command("run_hub", *args)

    assert message in str(error.value)
    assert exec_calls == []


def test_given_an_unknown_queue_then_the_error_lists_the_real_ones(external_services, exec_calls):
    with pytest.raises(CommandError, match="The queues are triage, notifications, batch, default"):
        call_command("run_hub", "--role", "worker", "--queues", "emails")


@pytest.mark.parametrize("role", ["web", "worker", "beat", "migrate"])
@pytest.mark.parametrize("missing", ["DATABASE_URL", "REDIS_URL"])
def test_given_a_role_without_external_services_then_it_refuses_and_starts_no_embedded_server(
    monkeypatch, exec_calls, role, missing
):
    monkeypatch.setenv("DATABASE_URL", EXTERNAL["DATABASE_URL"])
    monkeypatch.setenv("REDIS_URL", EXTERNAL["REDIS_URL"])
    monkeypatch.delenv(missing)
    monkeypatch.setattr(run_hub.embedded, "ensure_services", lambda **kw: pytest.fail("embedded server started"))

    with pytest.raises(CommandError) as error:
        call_command("run_hub", "--role", role)

    assert f"--role {role} runs against your own PostgreSQL and Redis, and {missing} is not set" in str(error.value)
    assert "run_hub` with no role" in str(error.value)
    assert exec_calls == []


def test_given_role_web_then_gunicorn_with_the_config_and_the_web_role(external_services, exec_calls):
    port = free_port()

    call_command("run_hub", "--role", "web", "--host", "127.0.0.1", "--port", str(port))

    [process] = exec_calls
    assert process.argv[0].endswith("/gunicorn") and process.argv[1] == "feedbackhub.wsgi:application"
    assert option(process.argv, "--config") == str(settings.BASE_DIR / "feedbackhub" / "gunicorn_conf.py")
    assert option(process.argv, "--bind") == f"127.0.0.1:{port}"
    assert "--workers" not in process.argv  # the config's formula (WEB_CONCURRENCY first) decides
    assert process.env == {"HUB_ROLE": "web"}


def test_given_role_web_with_web_workers_then_they_are_passed(external_services, exec_calls):
    call_command("run_hub", "--role", "web", "--port", str(free_port()), "--web-workers", "3")

    assert option(exec_calls[0].argv, "--workers") == "3"


def test_given_role_web_on_a_busy_port_then_it_says_so(external_services, exec_calls):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]

        with pytest.raises(CommandError, match=f"Port {port} on 127.0.0.1 is already in use"):
            call_command("run_hub", "--role", "web", "--host", "127.0.0.1", "--port", str(port))

    assert exec_calls == []


def test_given_role_worker_with_queues_then_celery_consumes_those_queues_only(external_services, exec_calls):
    call_command("run_hub", "--role", "worker", "--queues", "triage, default,triage", "--concurrency", "3")

    [process] = exec_calls
    assert process.argv[0].endswith("/celery") and process.argv[1:4] == ["-A", "feedbackhub", "worker"]
    assert option(process.argv, "--queues") == "triage,default"
    assert option(process.argv, "--concurrency") == "3"
    assert option(process.argv, "--hostname") == "triage-default@%h"  # two roles on one host: two node names
    assert process.env == {"HUB_ROLE": "worker"}


def test_given_role_worker_without_queues_then_every_queue_and_one_process_per_core(
    external_services, exec_calls, monkeypatch
):
    from feedbackhub import gunicorn_conf

    monkeypatch.setattr(gunicorn_conf, "available_cores", lambda: 3)

    call_command("run_hub", "--role", "worker")

    argv = exec_calls[0].argv
    assert option(argv, "--queues") == "triage,notifications,batch,default"
    assert option(argv, "--concurrency") == "3"


def test_given_role_beat_then_celery_beat_as_the_beat_role(external_services, exec_calls):
    call_command("run_hub", "--role", "beat")

    [process] = exec_calls
    assert process.argv[1:4] == ["-A", "feedbackhub", "beat"]
    assert process.env == {"HUB_ROLE": "beat"}


@pytest.mark.parametrize(("flags", "collects"), [([], True), (["--no-collectstatic"], False)])
def test_given_role_migrate_then_migrations_static_files_and_superuser_then_it_exits(
    external_services, exec_calls, monkeypatch, settings, flags, collects
):
    settings.DEBUG = False
    calls = []
    monkeypatch.setattr(run_hub, "call_command", lambda name, *args, **kwargs: calls.append(name))
    monkeypatch.setattr(run_hub.embedded, "ensure_services", lambda **kw: pytest.fail("embedded server started"))
    monkeypatch.setattr(run_hub.Command, "create_superuser_from_environment", lambda self: calls.append("superuser"))

    call_command("run_hub", "--role", "migrate", *flags)

    assert calls == (["migrate", "collectstatic", "superuser"] if collects else ["migrate", "superuser"])
    assert "load_demo" not in calls and exec_calls == []


def test_given_exec_process_then_this_process_is_replaced_with_the_role_and_its_environment(monkeypatch):
    replaced = []
    monkeypatch.setattr(hub_processes.os, "execve", lambda path, argv, env: replaced.append((path, argv, env)))
    monkeypatch.setattr(hub_processes.os, "chdir", lambda path: replaced.append(("chdir", path)))
    monkeypatch.setenv("SECRET_KEY", "kept-for-the-child")

    hub_processes.exec_process(hub_processes.beat())

    assert replaced[0] == ("chdir", hub_processes.BASE_DIR)
    path, argv, env = replaced[1]
    assert path == argv[0] and argv[1:4] == ["-A", "feedbackhub", "beat"]
    assert env["HUB_ROLE"] == "beat" and env["SECRET_KEY"] == "kept-for-the-child"


def healthz_count(base: str) -> float:
    """/healthz requests counted in /metrics (every web worker's, in multiprocess mode)."""
    scrape = urllib.request.Request(f"{base}/metrics", headers={"Authorization": "Bearer scrape-token-1"})
    with urllib.request.urlopen(scrape, timeout=10) as response:
        body = response.read().decode()
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in body.splitlines()
        if line.startswith("feedbackhub_http_request_duration_seconds_count") and 'view="healthz"' in line
    )


@pytest.mark.django_db
def test_given_role_web_started_for_real_then_gunicorn_answers_health_and_logs_json(tmp_path):
    """`run_hub --role web` becomes gunicorn (same pid) on the test database and Redis: /healthz answers, /readyz
    reaches the database given by DATABASE_URL, two workers' requests add up in /metrics (the config's multiprocess
    folder), and each access line is JSON with the request id the response carried."""
    port = free_port()
    env = hub_env(
        embedded.data_dir(),
        DATABASE_URL=embedded.postgres_url(name=connections["default"].settings_dict["NAME"]),
        REDIS_URL=settings.REDIS_URL,
        LOG_FORMAT="json",
        METRICS_TOKEN="scrape-token-1",
        WEB_CONCURRENCY="2",
    )
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    log = tmp_path / "web.log"
    with log.open("w") as output:
        web = subprocess.Popen(
            [sys.executable, "manage.py", "run_hub", "--role", "web", "--port", str(port)],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        first, deadline = None, time.monotonic() + 60
        while time.monotonic() < deadline and web.poll() is None:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
                    first = response.status
                break
            except OSError:
                time.sleep(0.2)
        assert web.poll() is None and first == 200, log.read_text()[-3000:]
        cmdline = Path(f"/proc/{web.pid}/cmdline").read_bytes().split(b"\0")
        assert b"gunicorn" in cmdline[0] + cmdline[1]  # run_hub replaced itself: the pid is gunicorn's master
        assert b"HUB_ROLE=web" in Path(f"/proc/{web.pid}/environ").read_bytes().split(b"\0")

        before = healthz_count(base)
        ids = []
        for _ in range(5):
            with urllib.request.urlopen(f"{base}/healthz", timeout=5) as response:
                ids.append(response.headers["X-Request-ID"])
        try:
            with urllib.request.urlopen(f"{base}/readyz", timeout=10) as response:
                ready = json.loads(response.read())
        except urllib.error.HTTPError as error:  # 503: the body says which part failed
            ready = json.loads(error.read())
        assert ready["checks"]["database"]["ok"] and ready["checks"]["migrations"]["ok"], ready

        # Whichever of the two workers answers a scrape, it counts every worker's probes (the multiprocess folder).
        assert [healthz_count(base) for _ in range(4)] == [before + 5] * 4
    finally:
        os.killpg(web.pid, signal.SIGTERM)
        try:
            assert web.wait(40) == 0, log.read_text()[-3000:]
        finally:
            if web.poll() is None:
                os.killpg(web.pid, signal.SIGKILL)

    access = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{") and '"path"' in line]
    logged_ids = {entry["request_id"] for entry in access if entry["path"] == "/healthz"}
    assert set(ids) <= logged_ids, log.read_text()[-3000:]
    assert all(
        entry["logger"] == "gunicorn.access" and entry["status"] == 200
        for entry in access
        if entry["path"] == "/healthz"
    )


def test_given_an_empty_web_concurrency_then_the_child_does_not_get_it():
    """An env file's `WEB_CONCURRENCY=` would stop gunicorn on import (int(''))."""
    process = hub_processes.web(host="127.0.0.1", port=8000)

    assert "WEB_CONCURRENCY" not in hub_processes.environment(process, {"WEB_CONCURRENCY": " ", "A": "1"})
    assert hub_processes.environment(process, {"WEB_CONCURRENCY": "4"})["WEB_CONCURRENCY"] == "4"
    assert hub_processes.environment(process, {})["HUB_ROLE"] == "web"
