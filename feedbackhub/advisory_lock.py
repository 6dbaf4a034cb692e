"""A PostgreSQL session advisory lock that is tried, never waited for: the work it guards runs once at a time.

``with advisory_lock(namespace, key) as held:`` — ``held`` is False when another session holds it (the caller skips
or answers "busy"). Held on the default connection until the block ends; PostgreSQL releases it if that connection
dies with its worker, so a crash never leaves it held. ``namespace`` keeps each kind of work apart (a sync row, a
community watch, a sheet job, a rule's opening of its dry runs), ``key`` is the row it guards.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection


@contextmanager
def advisory_lock(namespace: int, key: int) -> Iterator[bool]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [namespace, key])
        held = bool(cursor.fetchone()[0])
    try:
        yield held
    finally:
        if held:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [namespace, key])
