"""What keeps demo data out of real databases: the mark every generated row carries, and the commands' guards.

A row is demo data when it carries the mark of a generator (``load_demo`` or ``seed_scale``):

- customers: a domain under ``CUSTOMER_DOMAIN_SUFFIX`` (a reserved TLD, RFC 2606: no real company has one);
- feedback items: the key ``PAYLOAD_MARK`` in their raw payload (its value names the generator), or in their
  source item's (the pieces the AI triage cuts out of a demo call are demo data too);
- themes and launches: the names of ``demo/data`` (``seed_scale`` themes end with ``[run token-number]``).

Anything else — a customer or an item added by hand in the admin, ingested from a real source — is not demo data,
and ``load_demo --reset`` refuses to delete it unless it is given ``--force``.
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import CommandError

from customers.models import Customer
from demo.vocabulary import VOCABULARY as V
from feedback.models import FeedbackItem
from launches.models import Launch
from themes.models import Theme

CUSTOMER_DOMAIN_SUFFIX = ".demo.example"
PAYLOAD_MARK = "_feedbackhub_demo"
SCALE_THEME_NAME = r" \[[0-9a-z]+-[0-9]+\]$"  # seed_scale's themes: "<name> — <variant> [<run token>-<number>]"

DEMO_REFUSED = (
    "DEBUG is off (production): demo data is for development only and is not loaded into a real database; it "
    "creates an admin/admin superuser and staff users with a shared password. Run it on a development database "
    "with DEBUG=1."
)
SCALE_REFUSED = (
    "DEBUG is off (production): scale data is for development and benchmarks only and is not loaded into a real "
    "database. Run it on a development or benchmark database with DEBUG=1."
)


class NotDemoData(Exception):
    """The tables ``load_demo --reset`` empties hold rows that the demo did not create."""

    def __init__(self, counts: dict[str, int]):
        self.counts = counts
        found = ", ".join(f"{count:,} {kind}{'' if count == 1 else 's'}" for kind, count in counts.items())
        super().__init__(
            f"Refusing to reset: the database holds rows the demo did not create ({found}). --reset empties every "
            "customer, feedback item, theme and launch table (TRUNCATE … CASCADE), these rows included. Run "
            "`manage.py load_demo --reset --force` to delete them as well."
        )


def require_development(message: str = DEMO_REFUSED) -> None:
    """Raise ``CommandError(message)`` unless DEBUG is on."""
    if not settings.DEBUG:
        raise CommandError(message)


def non_demo_rows() -> dict[str, int]:
    """How many rows of each kind ``--reset`` would delete that carry no demo mark (kinds with none left out)."""
    querysets = {
        "customer": Customer.objects.exclude(domain__endswith=CUSTOMER_DOMAIN_SUFFIX),
        "feedback item": FeedbackItem.objects.exclude(raw_payload__has_key=PAYLOAD_MARK).exclude(
            source_item__raw_payload__has_key=PAYLOAD_MARK
        ),
        "theme": Theme.objects.exclude(name__in=[spec.name for spec in V.themes]).exclude(name__regex=SCALE_THEME_NAME),
        "launch": Launch.objects.exclude(name__in=[spec.name for spec in V.launches]),
    }
    counts = {kind: queryset.count() for kind, queryset in querysets.items()}
    return {kind: count for kind, count in counts.items() if count}


def check_reset_is_safe() -> None:
    """Raise ``NotDemoData`` if resetting would delete rows that are not demo data."""
    counts = non_demo_rows()
    if counts:
        raise NotDemoData(counts)
