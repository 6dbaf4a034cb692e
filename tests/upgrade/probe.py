"""What today's code reads from an upgraded database: run by tests/upgrade/ in a hub process of its own.

``manage.py shell -c "from tests.upgrade.probe import main; main()"`` with DATABASE_URL pointing at the upgraded
database prints one JSON line: the same facts ``facts_before`` (tests/upgrade/test_upgrade.py) read with plain SQL from
the old schema, read here through the ORM; the theme counts recomputed by today's rollup service (rolled back,
nothing kept); and what the admin and the API answer a superuser (the changelists' totals, the API's first page). It
writes one session row (the admin login), after the test took its counts.
"""

from __future__ import annotations

import json

from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import Client
from django.test.utils import setup_test_environment
from django.urls import reverse

from feedback.models import FeedbackItem, TriageRecord
from themes.models import Theme
from themes.services import refresh_rollups

ROLLUP_FIELDS = ("id", "feedback_count", "unique_customers", "arr_impacted")


def rows(queryset, *fields: str) -> list[list[str]]:
    return [[str(value) for value in row] for row in queryset.order_by("id").values_list(*fields)]


def recomputed_rollups() -> list[list[str]]:
    """Feedback count and unique customers of every theme by today's rollup service on the upgraded links and
    customers, rolled back. Not the ARR: the demo raises some customers' ARR after its rollups (demo/signals.py, an
    expansion), so the release's own data holds ARR rollups the nightly refresh has not caught up with yet."""
    with transaction.atomic():
        refresh_rollups(theme_ids=Theme.objects.values_list("id", flat=True))
        recomputed = rows(Theme.objects.all(), "id", "feedback_count", "unique_customers")
        transaction.set_rollback(True)
    return recomputed


def pages() -> dict[str, list]:
    """Status and row count of the feedback and theme changelists and the feedback API list, for a superuser."""
    setup_test_environment()  # the test client's host and the responses' context
    client = Client()
    client.force_login(get_user_model().objects.filter(is_superuser=True, is_active=True).order_by("id").first())
    answers = {}
    for name in ("admin:feedback_feedbackitem_changelist", "admin:themes_theme_changelist"):
        response = client.get(reverse(name))
        answers[name] = [response.status_code, response.context_data["cl"].result_count]
    response = client.get(reverse("api-feedback-list"))  # keyset pagination: the first page, no total
    answers["api-feedback-list"] = [response.status_code, len(response.json()["results"])]
    return answers


def main() -> None:
    facts = {
        "feedback_customers": rows(FeedbackItem.objects.all(), "id", "customer_id"),
        "triage": rows(TriageRecord.objects.all(), "id", "feedback_id", "outcome", "category"),
        "theme_links": rows(FeedbackItem.themes.through.objects.all(), "feedbackitem_id", "theme_id"),
        "rollups": rows(Theme.objects.all(), *ROLLUP_FIELDS),
        "recomputed_rollups": recomputed_rollups(),
        "pages": pages(),
    }
    print(json.dumps(facts))
