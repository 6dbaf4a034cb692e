"""The admin home dashboard at scale: the page reads precomputed figures; the job computes them.

Prints the job's time (what one page view would cost if it computed the figures itself) and the page's median
and p95, with their ratio, measured in the same run on the same data.
"""

from __future__ import annotations

import time

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bench.__main__ import timed
from insights import services


def run(*, client: Client, repeat: int) -> None:
    started = time.perf_counter()
    services.refresh_dashboard()
    job_ms = (time.perf_counter() - started) * 1000
    url = reverse("admin:index")

    def get():
        response = client.get(url)
        assert response.status_code == 200, response.status_code

    page = timed(get, repeat)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    size = len(response.content) / 1024
    print("\nAdmin home dashboard (ms)\n")
    print(f"{'what':32} {'p50':>9} {'p95':>9} {'queries':>8} {'HTML KB':>8}")
    print(f"{'refresh job (once)':32} {job_ms:9.1f} {'':>9}")
    print(f"{'home page, figures precomputed':32} {page[0]:9.1f} {page[1]:9.1f} {len(queries):8} {size:8.0f}")
    print(f"Computing the figures per page view would be {job_ms / page[0]:.0f}x slower than reading them.")
