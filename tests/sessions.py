"""Another database session, for tests of what the hub does while someone else holds a lock."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from django.db import connection


@contextmanager
def table_locked_by_another_session(table: str, *, release_after: float) -> Iterator[None]:
    """Inside the block, another session holds ACCESS SHARE on ``table``; it lets go ``release_after`` s after entry."""
    locked, release = threading.Event(), threading.Event()
    params = connection.get_connection_params()

    def hold_a_lock() -> None:
        with psycopg.connect(**params) as other, other.transaction():
            other.execute(psycopg.sql.SQL("LOCK TABLE {} IN ACCESS SHARE MODE").format(psycopg.sql.Identifier(table)))
            locked.set()
            release.wait(10)

    holder = threading.Thread(target=hold_a_lock)
    holder.start()
    locked.wait(10)
    timer = threading.Timer(release_after, release.set)
    timer.start()
    try:
        yield
    finally:
        release.set()
        timer.cancel()
        holder.join()
