"""The embedded PostgreSQL and Redis: start, reuse, recover from a crash, stop, one process at a time."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
import pytest
import redis

from feedbackhub import embedded

pytestmark = pytest.mark.slow

# Runs in a fresh interpreter: waits for the go file, then calls embedded.<function>(root); counts initdb runs.
CHILD = """
import sys, time
from pathlib import Path
from feedbackhub import embedded

function, root, go = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
real_initdb = embedded._initdb


def counted_initdb(lay):
    print("initdb", flush=True)
    real_initdb(lay)


embedded._initdb = counted_initdb
print("ready", flush=True)
while not go.exists():
    time.sleep(0.005)
result = getattr(embedded, function)(root)
print(f"result {result!r} at {time.time()!r}", flush=True)
"""


def postmaster_pid(data_root: Path) -> int:
    return int((embedded.layout(data_root).pgdata / "postmaster.pid").read_text().split()[0])


def query(data_root: Path, sql: str):
    settings = embedded.postgres_db_settings(data_root)
    with psycopg.connect(host=settings["HOST"], port=settings["PORT"], user="postgres", dbname=settings["NAME"]) as c:
        return c.execute(sql).fetchone()[0]


def connect(data_root: Path, dbname: str) -> psycopg.Connection:
    settings = embedded.postgres_db_settings(data_root)
    return psycopg.connect(host=settings["HOST"], port=settings["PORT"], user="postgres", dbname=dbname)


def start_child(function: str, data_root: Path, go: Path) -> subprocess.Popen:
    """A fresh interpreter that calls embedded.<function>(data_root) once ``go`` exists; returns after it is ready."""
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, function, str(data_root), str(go)],
        cwd=embedded.BASE_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert child.stdout.readline() == "ready\n"
    return child


def lock_is_free(data_root: Path) -> bool:
    """Asked from another process: can the services lock of ``data_root`` be taken right now?"""
    probe = (
        "import fcntl, sys; f = open(sys.argv[1]); "
        "sys.exit(0 if fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB) is None else 1)"
    )
    result = subprocess.run([sys.executable, "-c", probe, str(embedded.layout(data_root).lock_file)])
    return result.returncode == 0


def wait_dead(pid: int) -> None:
    for _ in range(100):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)


def test_given_empty_folder_when_starting_postgres_then_database_has_pgvector(data_root):
    started = embedded.start_postgres(data_root)

    assert started is True
    assert embedded.postgres_is_ready(data_root)
    assert query(data_root, "SELECT extversion FROM pg_extension WHERE extname = 'vector'").startswith("0.8")
    assert query(data_root, "SELECT '[1,0]'::vector <=> '[0,1]'::vector") == 1.0


def test_given_running_postgres_when_starting_again_then_it_is_reused(data_root):
    embedded.start_postgres(data_root)
    pid = postmaster_pid(data_root)

    started = embedded.start_postgres(data_root)

    assert started is False
    assert postmaster_pid(data_root) == pid


def test_given_postgres_killed_hard_when_starting_then_stale_lock_is_recovered(data_root):
    embedded.start_postgres(data_root)
    embedded.psql(
        data_root, "CREATE TABLE kept (id int); INSERT INTO kept VALUES (42)", database=embedded.DATABASE_NAME
    )
    pid = postmaster_pid(data_root)
    os.kill(pid, signal.SIGKILL)
    wait_dead(pid)
    assert (embedded.layout(data_root).pgdata / "postmaster.pid").exists()  # the crash left its lock behind

    started = embedded.start_postgres(data_root)

    assert started is True
    assert postmaster_pid(data_root) != pid
    assert query(data_root, "SELECT id FROM kept") == 42  # committed data survived the crash


def test_given_a_lock_file_naming_a_foreign_live_process_when_starting_then_postgres_still_starts(data_root):
    embedded.start_postgres(data_root)
    embedded.stop_postgres(data_root)
    lock = embedded.layout(data_root).pgdata / "postmaster.pid"
    lock.write_text(f"{os.getpid()}\n{embedded.layout(data_root).pgdata}\n0\n5432\n\n\n\n")  # pid reused by us

    started = embedded.start_postgres(data_root)

    assert started is True
    assert postmaster_pid(data_root) != os.getpid()


def test_given_running_postgres_when_stopping_then_it_is_gone_and_stopping_again_is_harmless(data_root):
    embedded.start_postgres(data_root)
    pid = postmaster_pid(data_root)

    assert embedded.stop_postgres(data_root) is True
    wait_dead(pid)

    assert not embedded.postgres_is_ready(data_root)
    assert embedded.stop_postgres(data_root) is False


def test_given_empty_folder_when_starting_redis_then_it_answers_and_is_reused(data_root):
    assert embedded.start_redis(data_root, persistent=False) is True
    client = redis.Redis.from_url(embedded.redis_url(data_root))
    client.set("greeting", "hello")

    assert embedded.start_redis(data_root, persistent=False) is False
    assert client.get("greeting") == b"hello"


def test_given_redis_killed_hard_when_starting_then_stale_pidfile_is_recovered(data_root):
    embedded.start_redis(data_root)
    pidfile = embedded.layout(data_root).redis_pidfile
    pid = int(pidfile.read_text())
    os.kill(pid, signal.SIGKILL)
    wait_dead(pid)
    assert pidfile.exists()

    assert embedded.start_redis(data_root) is True
    assert redis.Redis.from_url(embedded.redis_url(data_root)).ping()


def test_given_running_redis_when_stopping_then_socket_is_gone(data_root):
    embedded.start_redis(data_root, persistent=False)

    assert embedded.stop_redis(data_root) is True

    assert not embedded.redis_is_ready(data_root)
    assert not embedded.layout(data_root).redis_socket.exists()
    assert embedded.stop_redis(data_root) is False


def test_given_a_very_deep_data_folder_then_sockets_move_to_a_short_folder():
    deep = Path("/tmp") / ("d" * 120)

    lay = embedded.layout(deep)

    assert len(str(lay.redis_socket)) <= embedded.SOCKET_PATH_MAX
    assert str(lay.socket_dir).startswith("/tmp/feedbackhub-")
    assert lay.socket_dir == embedded.layout(deep).socket_dir  # stable: settings and servers agree


def test_given_no_urls_when_ensuring_services_then_both_start_once(data_root):
    first = embedded.ensure_services({}, root=data_root, quiet=True)
    second = embedded.ensure_services({}, root=data_root, quiet=True)

    assert first == ["PostgreSQL", "Redis"]
    assert second == []
    assert embedded.stop_services(data_root) == ["PostgreSQL", "Redis"]


def test_given_external_urls_when_ensuring_services_then_nothing_starts(data_root):
    started = embedded.ensure_services(
        {"DATABASE_URL": "postgres://x@h/db", "REDIS_URL": "redis://h"}, root=data_root, quiet=True
    )

    assert started == []
    assert not embedded.postgres_is_ready(data_root)


def test_given_redis_fails_to_start_when_ensuring_services_then_the_postgres_it_started_is_stopped_again(
    data_root, monkeypatch
):
    def failing_start_redis(root):
        raise embedded.EmbeddedServiceError("no redis today")

    monkeypatch.setattr(embedded, "start_redis", failing_start_redis)

    with pytest.raises(embedded.EmbeddedServiceError, match="no redis today"):
        embedded.ensure_services({}, root=data_root, quiet=True)

    assert not embedded.postgres_is_ready(data_root)


# --- one process at a time ------------------------------------------------------------------------------------


def test_given_a_fresh_folder_when_two_processes_start_postgres_at_once_then_initdb_runs_once_and_both_succeed(
    data_root,
):
    go = data_root / "go"
    children = [start_child("start_postgres", data_root, go) for _ in range(2)]

    go.touch()  # both leave their wait loop together
    outputs = [child.communicate(timeout=120)[0] for child in children]

    assert [child.returncode for child in children] == [0, 0], outputs
    assert "".join(outputs).count("initdb") == 1, outputs
    results = sorted(line.split()[1] for output in outputs for line in output.splitlines() if line.startswith("result"))
    assert results == ["False", "True"], outputs  # one started the server, the other found it running
    assert embedded.postgres_is_ready(data_root)


@pytest.mark.parametrize("function", ["start_postgres", "start_redis", "stop_services"])
def test_given_the_lock_is_held_when_another_process_starts_or_stops_then_it_waits_for_the_release(data_root, function):
    if function == "stop_services":
        embedded.ensure_services({}, root=data_root, quiet=True)
    go = data_root / "go"
    go.touch()
    lay = embedded.layout(data_root)

    with embedded.services_lock(data_root):
        child = start_child(function, data_root, go)
        time.sleep(2)  # far longer than any of these takes unblocked
        assert child.poll() is None, child.stdout.read()
        if function == "start_postgres":
            assert not (lay.pgdata / "PG_VERSION").exists()  # not even initdb ran
        elif function == "start_redis":
            assert not embedded.redis_is_ready(data_root)
        else:
            assert embedded.postgres_is_ready(data_root) and embedded.redis_is_ready(data_root)
        released_at = time.time()
    output = child.communicate(timeout=120)[0]

    assert child.returncode == 0, output
    finished_at = float(output.split()[-1])
    assert finished_at >= released_at
    expected = "['PostgreSQL', 'Redis']" if function == "stop_services" else "True"
    assert output.splitlines()[-1].startswith(f"result {expected} at"), output  # then it did its work


def test_given_nested_locks_in_one_process_then_they_do_not_block_and_the_outermost_releases(data_root):
    with embedded.services_lock(data_root):
        with embedded.services_lock(data_root):
            assert not lock_is_free(data_root)
        assert not lock_is_free(data_root)  # still held by the outer one

    assert lock_is_free(data_root)
    assert (embedded.layout(data_root).lock_file).read_text().strip() == str(os.getpid())  # who held it last


# --- no set-up work on a running server, quoting ---------------------------------------------------------------


def test_given_running_servers_when_ensuring_again_then_no_setup_work_is_redone(data_root, monkeypatch):
    embedded.ensure_services({}, root=data_root, quiet=True)
    programs, permission_calls = [], []
    real_run = subprocess.run

    def spying_run(command, *args, **kwargs):
        programs.append(Path(command[0]).name)
        return real_run(command, *args, **kwargs)

    monkeypatch.setattr(subprocess, "run", spying_run)
    monkeypatch.setattr(embedded, "_prepare_root_permissions", lambda lay: permission_calls.append(lay))

    assert embedded.start_postgres(data_root) is False
    assert embedded.ensure_services({}, root=data_root, quiet=True) == []

    assert set(programs) == {"pg_isready"}  # readiness checks only: no psql, initdb, pg_ctl, useradd
    assert permission_calls == []


def test_given_a_database_name_with_quotes_and_spaces_when_ensuring_it_then_it_is_created_once_and_found(data_root):
    name = 'fbh o\'brien "x"'
    embedded.start_postgres(data_root)

    embedded.ensure_database(data_root, name)
    embedded.ensure_database(data_root, name)  # found this time: not created again, no error

    with connect(data_root, name) as conn:
        assert conn.execute("SELECT current_database()").fetchone()[0] == name
        assert conn.execute("SELECT count(*) FROM pg_extension WHERE extname IN ('vector', 'pg_trgm')").fetchone()[0]
    with connect(data_root, "postgres") as conn:
        assert conn.execute("SELECT count(*) FROM pg_database WHERE datname = %s", [name]).fetchone()[0] == 1


# --- the data folder stays inside the project -------------------------------------------------------------------


@pytest.mark.parametrize("configured", ["/tmp/fbh-elsewhere", "../outside", ".", ".data/../.."])
def test_given_a_data_folder_outside_the_project_then_it_is_refused(monkeypatch, configured):
    monkeypatch.setenv("FEEDBACKHUB_DATA_DIR", configured)

    with pytest.raises(embedded.EmbeddedServiceError, match="not a folder inside the project folder"):
        embedded.data_dir()


def test_given_a_symlink_in_the_project_pointing_outside_then_it_is_refused(monkeypatch, tmp_path):
    (embedded.BASE_DIR / ".data").mkdir(exist_ok=True)
    holder = Path(tempfile.mkdtemp(prefix="t-", dir=embedded.BASE_DIR / ".data"))
    try:
        (holder / "link").symlink_to(tmp_path)
        monkeypatch.setenv("FEEDBACKHUB_DATA_DIR", str(holder / "link"))

        with pytest.raises(embedded.EmbeddedServiceError, match="not a folder inside the project folder"):
            embedded.data_dir()
    finally:
        shutil.rmtree(holder)


@pytest.mark.parametrize(
    ("configured", "expected"),
    [(None, ".data"), (".data/test", ".data/test"), ("{base}/.data/scale", ".data/scale")],
)
def test_given_a_data_folder_inside_the_project_then_it_is_used(monkeypatch, configured, expected):
    if configured is None:
        monkeypatch.delenv("FEEDBACKHUB_DATA_DIR", raising=False)
    else:
        monkeypatch.setenv("FEEDBACKHUB_DATA_DIR", configured.format(base=embedded.BASE_DIR))

    assert embedded.data_dir() == embedded.BASE_DIR / expected


def test_given_a_data_folder_outside_the_project_when_a_command_runs_then_it_says_why_and_creates_nothing():
    outside = Path("/tmp") / f"fbh-outside-{os.getpid()}"
    env = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(DEBUG="1", FEEDBACKHUB_DATA_DIR=str(outside))

    try:
        result = subprocess.run(
            [sys.executable, "manage.py", "migrate"],
            cwd=embedded.BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        if outside.exists():  # only when the check is broken: leave no servers behind
            embedded.stop_services(outside)
            shutil.rmtree(outside, ignore_errors=True)

    assert result.returncode != 0
    assert f"FEEDBACKHUB_DATA_DIR={outside} is {outside}, not a folder inside the project folder" in result.stderr
    assert not outside.exists()
