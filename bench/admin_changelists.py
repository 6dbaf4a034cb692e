"""Admin changelist pages at scale: FeedbackHub's admin (estimated counts, indexes) vs the stock behaviour.

"Stock" is the same admin with Django's defaults put back for the same requests: the exact-count Paginator and
show_full_result_count=True (two COUNT(*) per page). The indexes are the same in both; the ratio shows what the
counting strategy alone is worth at this size.
"""

from __future__ import annotations

from contextlib import contextmanager

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.paginator import Paginator
from django.db import connection
from django.test import Client
from django.urls import reverse

from bench import dashboard
from bench.__main__ import timed
from customers.models import Customer
from feedback.models import FeedbackItem

PAGES = [
    ("feedback, default order", "admin:feedback_feedbackitem_changelist", {}),
    ("feedback, status=new", "admin:feedback_feedbackitem_changelist", {"status__exact": "new"}),
    (
        "feedback, category+priority",
        "admin:feedback_feedbackitem_changelist",
        {"category__exact": "bug", "priority__exact": "high"},
    ),
    ("feedback, search 'latency'", "admin:feedback_feedbackitem_changelist", {"q": "latency"}),
    ("feedback, page 200", "admin:feedback_feedbackitem_changelist", {"p": "200"}),
    ("customers, default order", "admin:customers_customer_changelist", {}),
    ("customers, tier=enterprise", "admin:customers_customer_changelist", {"tier__exact": "enterprise"}),
]


def table_rows(model) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [model._meta.db_table])
        return cursor.fetchone()[0]


def ensure_data(*, feedback: int, customers: int) -> None:
    call_command("migrate", interactive=False, verbosity=0)
    have = table_rows(FeedbackItem)
    if have < feedback * 0.95:
        print(f"Seeding {feedback:,} feedback items and {customers:,} customers (once; kept in .data/bench)…")
        call_command("seed_scale", feedback=feedback - max(have, 0), customers=customers if have <= 0 else 0)


@contextmanager
def stock_counting(model):
    """Put Django's own counting back on ``model``'s admin for the duration."""
    model_admin = admin.site._registry[model]
    saved = model_admin.paginator, model_admin.show_full_result_count
    model_admin.paginator, model_admin.show_full_result_count = Paginator, True
    try:
        yield
    finally:
        model_admin.paginator, model_admin.show_full_result_count = saved


def run(*, feedback: int, customers: int, repeat: int) -> None:
    ensure_data(feedback=feedback, customers=customers)
    user, _ = get_user_model().objects.get_or_create(
        username="bench", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client(HTTP_HOST="localhost")  # an ALLOWED_HOSTS name
    client.force_login(user)
    print(
        f"\nAdmin changelists — {table_rows(FeedbackItem):,} feedback items, {table_rows(Customer):,} customers, "
        f"{repeat} requests each (ms)\n"
    )
    print(f"{'page':32} {'ours p50':>9} {'ours p95':>9} {'stock p50':>10} {'stock p95':>10} {'stock/ours':>11}")
    for label, url_name, params in PAGES:
        url = reverse(url_name)
        model = FeedbackItem if "feedback" in url_name else Customer

        def get(url=url, params=params):
            response = client.get(url, params)
            assert response.status_code == 200, response.status_code

        ours = timed(get, repeat)
        with stock_counting(model):
            stock = timed(get, repeat)
        print(f"{label:32} {ours[0]:9.1f} {ours[1]:9.1f} {stock[0]:10.1f} {stock[1]:10.1f} {stock[0] / ours[0]:10.1f}x")
    dashboard.run(client=client, repeat=repeat)
