"""How the bench times a page: the median and p95 wall time of repeated GETs through Django's test client, the
queries and HTML size of one more GET (untimed), and a capped single GET for a page that would otherwise run for
minutes (Django's stock change form at 1M rows renders a <select> of every feedback item: ~2.5 min, 80 MB).
"""

from __future__ import annotations

import signal
import statistics
import time
from contextlib import nullcontext, suppress
from dataclasses import dataclass

from django.db import OperationalError, connection
from django.test import Client
from django.test.utils import CaptureQueriesContext


@dataclass(frozen=True)
class Figures:
    """One page measured on one admin: times in ms, the queries and HTML size of one request."""

    p50: float
    p95: float
    queries: int
    html_kb: float
    samples: int
    capped_at: float | None = None  # seconds: the single request ran past this cap and was stopped


def measure(client: Client, url: str, repeat: int, *, warm_up: bool = True, count_apart: bool = True) -> Figures:
    """GET ``url`` once untimed (``warm_up``), then ``repeat`` timed times, and count queries and bytes.

    The queries and bytes are counted on one more, untimed request (``count_apart``) or, for pages that take
    seconds, during the first timed one (recording a few dozen queries costs microseconds).
    p95 is the nearest-rank 95th percentile: with fewer than 20 samples it is the slowest one.
    """

    def get():
        response = client.get(url)
        if response.status_code != 200:
            raise AssertionError(f"GET {url} answered {response.status_code}")
        return response

    if warm_up:
        get()
    samples = []
    queries = size = 0
    for number in range(repeat):
        counted = number == 0 and not count_apart
        with CaptureQueriesContext(connection) if counted else nullcontext() as capture:
            start = time.perf_counter()
            response = get()
            samples.append((time.perf_counter() - start) * 1000)
        if counted:
            queries, size = len(capture), len(response.content)
    if count_apart:
        with CaptureQueriesContext(connection) as capture:
            response = get()
        queries, size = len(capture), len(response.content)
    samples.sort()
    p95 = samples[min(len(samples) - 1, int(len(samples) * 0.95))]
    return Figures(statistics.median(samples), p95, queries, size / 1024, repeat)


QUERY_CANCELED = "57014"  # PostgreSQL's SQLSTATE when statement_timeout stops a statement


class Overrun(BaseException):
    """Raised by the timer inside a request that ran past its cap (a BaseException: nothing in Django catches it)."""


def measure_capped(client: Client, url: str, cap_seconds: float) -> Figures:
    """One GET of ``url``, stopped after ``cap_seconds`` (SIGALRM in Python, statement_timeout in PostgreSQL).

    The connection is closed afterwards: a stopped request may leave a cursor half read.
    """

    def stop(signum, frame):
        raise Overrun

    previous = signal.signal(signal.SIGALRM, stop)
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"SET statement_timeout = {int(cap_seconds * 1000)}")
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            signal.setitimer(signal.ITIMER_REAL, cap_seconds)
            response = client.get(url)
            signal.setitimer(signal.ITIMER_REAL, 0)
            elapsed = (time.perf_counter() - start) * 1000
        if response.status_code != 200:
            raise AssertionError(f"GET {url} answered {response.status_code}")
        return Figures(elapsed, elapsed, len(queries), len(response.content) / 1024, 1)
    except (Overrun, OperationalError) as error:
        if isinstance(error, OperationalError) and getattr(error.__cause__, "sqlstate", None) != QUERY_CANCELED:
            raise
        return Figures(float("nan"), float("nan"), 0, float("nan"), 1, capped_at=cap_seconds)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        with suppress(Exception):
            connection.close()
