"""`make bench`: FeedbackHub's admin at 1M feedback items and 50k customers against Django's stock admin.

Measures every page of ``bench.pages`` as a logged-in user through Django's test client (no network, no browser):
our admin (unfold, estimated counts, indexes, role views) and, where one exists, its plain twin on the stock
``AdminSite`` of ``bench.plain_admin`` over the same database in the same run. For each it prints the median and
p95 wall time, the SQL queries and the HTML size, the ratio plain ÷ ours, and then the goals each page misses
(``bench.report``).

Requests run with DEBUG off (no query log, as in production) and ROOT_URLCONF ``bench.urls``; both are overridden
in this process only. The plain pages take seconds each, so they get fewer samples (BENCH_PLAIN_REPEAT, default 2),
one warm-up for all of them, and their queries and bytes are counted during their first timed request; the plain
feedback change page gets one request, stopped at BENCH_CAP_SECONDS (default 15).
"""

from __future__ import annotations

import gc
import os
import time

from django.conf import settings
from django.contrib import admin
from django.test import Client
from django.test.utils import override_settings
from django.utils import timezone

from bench import data
from bench.pages import Page, all_pages
from bench.plain_admin import dropped_columns, plain_engine, plain_site
from bench.report import Row, goals_text, header, line
from bench.timing import measure, measure_capped
from customers.models import Customer
from feedback.models import FeedbackItem
from themes.models import Theme

HOST = "localhost"  # an ALLOWED_HOSTS name


def logged_in(user) -> Client:
    client = Client(HTTP_HOST=HOST)
    client.force_login(user)
    return client


def measure_row(page: Page, clients: dict[str, Client], *, repeat: int, plain_repeat: int, cap: float) -> Row:
    """Both sides of one page; a side that fails is reported in the row, not raised."""
    client = clients[page.who]
    row = Row(page, ours=None)
    try:
        row.ours = measure(client, page.ours, repeat)
    except Exception as error:  # noqa: BLE001 - one broken page must not hide the other rows' figures
        row.error = f"{type(error).__name__}: {error}"
        return row
    if page.plain is None:
        return row
    try:
        if page.plain_capped:
            row.plain = measure_capped(client, page.plain, cap)
        else:
            row.plain = measure(client, page.plain, plain_repeat, warm_up=False, count_apart=False)
    except Exception as error:  # noqa: BLE001
        row.error = f"plain: {type(error).__name__}: {error}"
    return row


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} CPUs"


def run(*, feedback: int, customers: int, repeat: int) -> None:
    plain_repeat = int(os.environ.get("BENCH_PLAIN_REPEAT", 2))
    cap = float(os.environ.get("BENCH_CAP_SECONDS", 15))
    started = time.perf_counter()
    data.ensure_data(feedback=feedback, customers=customers)
    data.ensure_launches(today=timezone.localdate())
    dashboard_job_ms = data.refresh_dashboard()
    users = {"admin": data.superuser(), "sales": data.sales_user()}
    picks = data.pick(admin.site._registry[FeedbackItem])
    rows: list[Row] = []
    templates = [*settings.TEMPLATES, plain_engine()]
    with override_settings(ROOT_URLCONF="bench.urls", DEBUG=False, TEMPLATES=templates):
        clients = {who: logged_in(user) for who, user in users.items()}
        pages = all_pages(picks, plain_site)
        print(
            f"\nAdmin at scale: {data.table_rows(FeedbackItem):,} feedback items, "
            f"{data.table_rows(Customer):,} customers, {Theme.objects.count():,} themes; at start, {load()}.\n"
            f"Times in ms: median and p95 of {repeat} requests for ours (after a warm-up), {plain_repeat} for plain "
            "(p95 of fewer than 20 is the slowest).\nSQL and HTML: one more request (plain: its first timed one). "
            "plain ÷ ours: ratio of the medians.\n"
        )
        print(header())
        clients["admin"].get(pages[0].plain)  # one warm-up for every plain page: its templates, its caches
        clients["admin"].get(pages[0].ours)
        gc.freeze()  # as feedbackhub/wsgi.py does in each web worker: what loading made is never collected again
        for page in pages:
            row = measure_row(page, clients, repeat=repeat, plain_repeat=plain_repeat, cap=cap)
            rows.append(row)
            print(line(row), flush=True)
    print(f"\n{goals_text(rows)}")
    errors = [f"  - {row.page.label}: {row.error}" for row in rows if row.error]
    if errors:
        print("Failed:\n" + "\n".join(errors))
    print(
        f"\nNotes: the dashboard job (insights.services.refresh_dashboard) took {dashboard_job_ms:,.0f} ms once; "
        "the home page reads its figures. "
        f"Plain columns stand in for our display methods with model fields; left out: "
        f"{', '.join(sorted(set(dropped_columns))) or 'none'}. "
        f"At end: {load()}. The bench took {(time.perf_counter() - started) / 60:.1f} min."
    )
