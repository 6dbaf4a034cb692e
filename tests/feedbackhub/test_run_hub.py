"""`make run`'s command brings up the whole hub on embedded services and Ctrl-C takes down what it started.

The real runs use a data folder inside the project (FEEDBACKHUB_DATA_DIR must be) and a fresh interpreter; the
banner and bookkeeping details are also checked on the command object itself.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from io import StringIO
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from feedbackhub import embedded
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


def test_given_the_children_when_started_then_only_the_web_server_runs_as_the_web_role(monkeypatch):
    """The web role gets the database statement timeout (feedbackhub.db_settings); workers and beat run long tasks."""
    from feedbackhub.management.commands import run_hub

    started = {}  # the program's role → its environment: gunicorn's bind address, "worker" or "beat"
    monkeypatch.setattr(
        run_hub.subprocess, "Popen", lambda command, **kwargs: started.setdefault(command[3], kwargs["env"])
    )
    monkeypatch.delenv("HUB_ROLE", raising=False)
    command = run_hub.Command()
    command.children = {}

    command.start_children(host="127.0.0.1", port=8000, web_workers=1)

    assert started["127.0.0.1:8000"]["HUB_ROLE"] == "web"
    assert "HUB_ROLE" not in started["worker"] and "HUB_ROLE" not in started["beat"]
