"""The bench's data and people: 1M feedback items (seeded once, kept in .data/bench), the users who read the pages,
a year of launches for the calendar, and the values the pages ask for (a filter's rarest and commonest value,
the biggest theme, ...), picked from the data at the start of each run.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.contrib import admin
from django.contrib.admin.utils import get_fields_from_path
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection
from django.db.models import Count

from customers.models import Customer
from feedback.models import FeedbackItem
from feedbackhub.roles import SALES_CS
from launches.choices import LaunchStatus, LaunchTeam, LaunchType
from launches.models import Launch
from launches.services import create_launch, install_default_templates
from themes.models import Theme

SUPERUSER = "bench"
SALES_USER = "bench-sales"
SALES_ACCOUNTS = 50  # accounts the sales user owns
LAUNCH_PREFIX = "Bench launch"
LAUNCHES_PER_MONTH = 4


def table_rows(model) -> int:
    """The planner's row count of ``model``'s table (no scan)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [model._meta.db_table])
        return cursor.fetchone()[0]


def ensure_data(*, feedback: int, customers: int) -> None:
    """Migrate, and seed with ``seed_scale`` when the table holds less than 95 % of ``feedback`` items."""
    call_command("migrate", interactive=False, verbosity=0)
    have = table_rows(FeedbackItem)
    if have < feedback * 0.95:
        print(f"Seeding {feedback:,} feedback items and {customers:,} customers (once; kept in .data/bench)…")
        call_command("seed_scale", feedback=feedback - max(have, 0), customers=customers if have <= 0 else 0)


def superuser():
    user, _ = get_user_model().objects.get_or_create(
        username=SUPERUSER, defaults={"is_staff": True, "is_superuser": True}
    )
    return user


def sales_user():
    """A "Sales / CS" member owning ``SALES_ACCOUNTS`` accounts spread over the book (every 1000th id or so).

    Bench data only: the accounts are handed over with a plain ``update()``; nobody else owns accounts in it.
    """
    user, _ = get_user_model().objects.get_or_create(
        username=SALES_USER, defaults={"is_staff": True, "first_name": "Bench", "last_name": "Sales"}
    )
    user.groups.add(Group.objects.get(name=SALES_CS))
    if Customer.objects.filter(account_owner=user).count() < SALES_ACCOUNTS:
        ids = list(Customer.objects.order_by("id").values_list("id", flat=True))
        step = max(1, len(ids) // SALES_ACCOUNTS)
        Customer.objects.filter(pk__in=ids[::step][:SALES_ACCOUNTS]).update(account_owner=user)
    return user


def ensure_launches(*, today: date) -> int:
    """A year of launches (this year, ``LAUNCHES_PER_MONTH`` a month) with their checklists, created once."""
    if Launch.objects.filter(name__startswith=LAUNCH_PREFIX).exists():
        return 0
    install_default_templates()
    themes = list(Theme.objects.order_by("-feedback_count", "id")[:12])
    types, teams = LaunchType.values, LaunchTeam.values
    open_statuses = [LaunchStatus.IN_DEV, LaunchStatus.BETA, LaunchStatus.AT_RISK]
    number = 0
    for month in range(1, 13):
        for week in range(LAUNCHES_PER_MONTH):
            target = date(today.year, month, 1 + 7 * week)
            shipped = target < today
            create_launch(
                name=f"{LAUNCH_PREFIX} {number + 1}",
                launch_type=types[number % len(types)],
                status=LaunchStatus.SHIPPED if shipped else open_statuses[number % len(open_statuses)],
                team=teams[number % len(teams)],
                start_date=target - timedelta(days=30 + 15 * (number % 5)),
                target_date=target,
                shipped_on=target if shipped else None,
                themes=themes[number % len(themes) : number % len(themes) + 2],
            )
            number += 1
    return number


def refresh_dashboard() -> float:
    """Run the dashboard job once (what the home page reads); returns its time in ms."""
    from insights import services

    started = time.perf_counter()
    services.refresh_dashboard()
    return (time.perf_counter() - started) * 1000


@dataclass
class Picks:
    """Values the pages ask for, read from the data."""

    choice_filters: dict[str, tuple[str, str]] = field(default_factory=dict)  # path → (rarest, commonest) value
    biggest_theme: int = 0
    feedback_item: int = 0
    board_product: str = ""


def choice_filter_paths(model_admin: admin.ModelAdmin) -> list[str]:
    """The admin's list_filter entries that are plain choice fields (on the model or through a relation)."""
    paths = []
    for entry in model_admin.list_filter:
        if isinstance(entry, str) and get_fields_from_path(model_admin.model, entry)[-1].choices:
            paths.append(entry)
    return paths


def pick(model_admin: admin.ModelAdmin) -> Picks:
    """Read the values the pages use: per choice filter its rarest and commonest value (among rows that exist)."""
    picks = Picks()
    for path in choice_filter_paths(model_admin):
        choices = {str(value) for value, _ in get_fields_from_path(FeedbackItem, path)[-1].flatchoices}
        counts = FeedbackItem.objects.values_list(path).annotate(n=Count("id")).order_by("n")
        present = [value for value, _ in counts if value in choices]
        picks.choice_filters[path] = (present[0], present[-1])
    through = FeedbackItem.themes.through
    picks.biggest_theme = (
        through.objects.values_list("theme_id").annotate(n=Count("id")).order_by("-n", "theme_id").first()[0]
    )
    picks.feedback_item = (
        FeedbackItem.objects.filter(customer__isnull=False, themes=picks.biggest_theme)
        .order_by("-received_at", "-id")
        .values_list("id", flat=True)
        .first()
    )
    picks.board_product = picks.choice_filters.get("product", ("", ""))[1]
    return picks
