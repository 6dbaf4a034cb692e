"""The embedded PostgreSQL and Redis: start, reuse, recover from a crash, stop."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import psycopg
import pytest
import redis

from feedbackhub import embedded

pytestmark = pytest.mark.slow


def postmaster_pid(data_root: Path) -> int:
    return int((embedded.layout(data_root).pgdata / "postmaster.pid").read_text().split()[0])


def query(data_root: Path, sql: str):
    settings = embedded.postgres_db_settings(data_root)
    with psycopg.connect(host=settings["HOST"], port=settings["PORT"], user="postgres", dbname=settings["NAME"]) as c:
        return c.execute(sql).fetchone()[0]


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


def test_given_no_urls_when_ensuring_services_then_both_start_once(data_root, monkeypatch):
    monkeypatch.setenv("FEEDBACKHUB_DATA_DIR", str(data_root))

    first = embedded.ensure_services({}, quiet=True)
    second = embedded.ensure_services({}, quiet=True)

    assert first == ["PostgreSQL", "Redis"]
    assert second == []
    assert embedded.stop_services(data_root) == ["PostgreSQL", "Redis"]


def test_given_external_urls_when_ensuring_services_then_nothing_starts(data_root, monkeypatch):
    monkeypatch.setenv("FEEDBACKHUB_DATA_DIR", str(data_root))

    started = embedded.ensure_services({"DATABASE_URL": "postgres://x@h/db", "REDIS_URL": "redis://h"}, quiet=True)

    assert started == []
    assert not embedded.postgres_is_ready(data_root)
