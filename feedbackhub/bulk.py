"""Bulk loading into PostgreSQL: COPY text format, and dropping a table's indexes and keys around a large insert.

Takes table names, never models: this module imports nothing of the apps. Identifiers are quoted by psycopg
(``sql.Identifier``); index and constraint definitions come from PostgreSQL itself (``pg_get_indexdef``,
``pg_get_constraintdef``), already quoted.

A typical load, in one transaction::

    with transaction.atomic():
        fire_pending_constraint_checks()
        lock_tables(tables, log=print)
        dropped = [*foreign_keys(tables=tables), *secondary_indexes(tables=tables)]
        drop_objects(dropped)
        first_id = reserve_ids(table=table, count=len(rows))
        with connection.cursor() as cursor, cursor.copy(copy_statement(table, columns)) as copy:
            copy.write("".join(copy_line(row) for row in rows))
        restore_objects(reversed(dropped), log=print)
        analyze(tables)

or, for indexes alone, ``with indexes_dropped(tables=[...]): <insert>``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import OperationalError, connection, transaction
from psycopg import sql


def _quote(*names: str) -> str:
    """Each name as a quoted SQL identifier, comma-separated."""
    connection.ensure_connection()
    return ", ".join(sql.Identifier(name).as_string(connection.connection) for name in names)


# --------------------------------------------------------------------------------------------------------------
# COPY text format: tab-separated, \N for NULL, backslash escapes (https://www.postgresql.org/docs/current/sql-copy.html)

NULL = "\\N"


def escape(text: str) -> str:
    """``text`` with the characters COPY treats specially escaped (most text has none: checked first, fast)."""
    if "\\" in text or "\n" in text or "\t" in text or "\r" in text:
        return text.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r")
    return text


def copy_text(value: Any) -> str:
    """One value in COPY text format: None, text, dates, arrays (lists) and JSON (dicts), numbers."""
    if value is None:
        return NULL
    if isinstance(value, str):
        return escape(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list):
        quoted = ('"' + str(item).replace("\\", "\\\\").replace('"', '\\"') + '"' for item in value)
        return escape("{" + ",".join(quoted) + "}")
    if isinstance(value, dict):
        return escape(json.dumps(value))
    return str(value)


def copy_line(values: Iterable[Any]) -> str:
    """One row in COPY text format, newline included."""
    return "\t".join(map(copy_text, values)) + "\n"


def copy_statement(table: str, columns: Sequence[str]) -> str:
    """``COPY "table" ("column", …) FROM STDIN`` (text format), for ``cursor.copy``."""
    return f"COPY {_quote(table)} ({_quote(*columns)}) FROM STDIN"


# --------------------------------------------------------------------------------------------------------------
# Indexes, unique constraints and foreign keys of a table


@dataclass
class TableObject:
    """A secondary index, unique constraint or foreign key of a table, as PostgreSQL defines it."""

    table: str
    name: str
    kind: str  # "index" (definition: CREATE INDEX …) or "constraint" (definition: UNIQUE …, FOREIGN KEY …)
    definition: str


SECONDARY_INDEXES_SQL = """
    SELECT idx.tablename, idx.indexname, idx.indexdef, pg_get_constraintdef(con.oid)
    FROM pg_indexes AS idx
    JOIN pg_class AS tbl ON tbl.oid = to_regclass(quote_ident(idx.schemaname) || '.' || quote_ident(idx.tablename))
    JOIN pg_class AS ind ON ind.oid = to_regclass(quote_ident(idx.schemaname) || '.' || quote_ident(idx.indexname))
    LEFT JOIN pg_constraint AS con ON con.conrelid = tbl.oid AND con.conindid = ind.oid AND con.contype IN ('u', 'x')
    WHERE idx.schemaname = current_schema() AND idx.tablename = ANY(%s)
      AND NOT EXISTS (SELECT 1 FROM pg_constraint AS own WHERE own.conindid = ind.oid AND own.contype = 'p')
      AND NOT EXISTS (SELECT 1 FROM pg_constraint AS fk WHERE fk.conindid = ind.oid AND fk.contype = 'f')
    ORDER BY idx.tablename, idx.indexname
"""
FOREIGN_KEYS_SQL = """
    SELECT tbl.relname, con.conname, pg_get_constraintdef(con.oid)
    FROM pg_constraint AS con JOIN pg_class AS tbl ON tbl.oid = con.conrelid
    WHERE con.contype = 'f' AND tbl.relnamespace = current_schema()::regnamespace AND tbl.relname = ANY(%s)
    ORDER BY tbl.relname, con.conname
"""


def secondary_indexes(*, tables: Sequence[str]) -> list[TableObject]:
    """Indexes of ``tables`` (from pg_indexes) but primary keys and unique keys that a foreign key relies on.

    An index that backs a unique constraint is returned as the constraint, so that it is dropped and restored
    as one.
    """
    with connection.cursor() as cursor:
        cursor.execute(SECONDARY_INDEXES_SQL, [list(tables)])
        rows = cursor.fetchall()
    return [
        TableObject(table, name, "constraint", condef) if condef else TableObject(table, name, "index", indexdef)
        for table, name, indexdef, condef in rows
    ]


def foreign_keys(*, tables: Sequence[str]) -> list[TableObject]:
    """Foreign keys of ``tables`` (the rows they check, not the rows pointing at them)."""
    with connection.cursor() as cursor:
        cursor.execute(FOREIGN_KEYS_SQL, [list(tables)])
        return [TableObject(table, name, "constraint", definition) for table, name, definition in cursor.fetchall()]


def drop_objects(objects: Iterable[TableObject]) -> None:
    """Drop each index or constraint."""
    with connection.cursor() as cursor:
        for obj in objects:
            if obj.kind == "constraint":
                cursor.execute(f"ALTER TABLE {_quote(obj.table)} DROP CONSTRAINT {_quote(obj.name)}")
            else:
                cursor.execute(f"DROP INDEX {_quote(obj.name)}")


def restore_objects(objects: Iterable[TableObject], *, log: Callable[[str], None]) -> None:
    """Recreate each index or constraint from its definition (validating it), logging how long each took."""
    with connection.cursor() as cursor:
        for obj in objects:
            started = time.perf_counter()
            if obj.kind == "constraint":
                cursor.execute(f"ALTER TABLE {_quote(obj.table)} ADD CONSTRAINT {_quote(obj.name)} {obj.definition}")
            else:
                cursor.execute(obj.definition)
            log(f"  {obj.name} ({obj.table}) rebuilt in {time.perf_counter() - started:.1f} s")


def fire_pending_constraint_checks() -> None:
    """Run the deferred constraint checks queued so far in this transaction (DDL refuses to run while any wait).

    Django's foreign keys are DEFERRABLE INITIALLY DEFERRED, so setting them back to deferred restores their
    normal behaviour for the rest of the transaction.
    """
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


@contextmanager
def indexes_dropped(*, tables: Sequence[str], log: Callable[[str], None] = lambda message: None) -> Iterator[None]:
    """Drop the secondary indexes of ``tables`` for a bulk insert, rebuild them when the block ends.

    The block runs in a transaction (a savepoint inside one): if it raises, the rollback brings the indexes back
    along with undoing the insert, and the exception goes on.
    """
    with transaction.atomic():
        fire_pending_constraint_checks()
        indexes = secondary_indexes(tables=tables)
        drop_objects(indexes)
        yield
        fire_pending_constraint_checks()
        restore_objects(indexes, log=log)


def lock_tables(tables: Sequence[str], *, log: Callable[[str], None]) -> None:
    """Lock ``tables`` for this transaction alone, saying so when other sessions make us wait."""
    if not tables:
        return
    statement = f"LOCK TABLE {_quote(*tables)} IN ACCESS EXCLUSIVE MODE"
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"{statement} NOWAIT")
    except OperationalError:
        log(f"Waiting for other sessions to release {', '.join(tables)} (a web server, a worker, autovacuum)…")
        with connection.cursor() as cursor:
            cursor.execute(statement)


def reserve_ids(*, table: str, count: int, column: str = "id") -> int:
    """Take ``count`` consecutive values of ``table``'s ``column`` sequence; returns the first.

    Rows inserted with these ids never collide with rows that others insert meanwhile (they draw later values).
    """
    if count < 1:
        raise ValueError(f"reserve at least one id (got {count})")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(seq, nextval(seq) + %s - 1) FROM pg_get_serial_sequence(%s, %s) AS seq",
            [count, _quote(table), column],
        )
        last = cursor.fetchone()[0]
    return last - count + 1


def analyze(tables: Sequence[str]) -> None:
    """Refresh the planner statistics of ``tables`` (after a bulk load they describe the old contents)."""
    if tables:
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {_quote(*tables)}")


def truncate(tables: Sequence[str]) -> None:
    """Empty ``tables`` and every table that references them (CASCADE), restarting their id sequences."""
    fire_pending_constraint_checks()
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {_quote(*tables)} RESTART IDENTITY CASCADE")
