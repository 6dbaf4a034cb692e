"""A real Celery worker consumes tasks from the real Redis broker and writes to the test database."""

import time
from decimal import Decimal

import pytest
from celery.contrib.testing.worker import start_worker

from feedbackhub.celery import app
from tests.factories import make_customer, make_feedback, make_theme
from themes.tasks import refresh_theme_rollups

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_given_worker_on_redis_when_rollup_task_is_sent_then_theme_is_updated():
    theme = make_theme()
    make_feedback(customer=make_customer(arr=Decimal("250000"))).themes.add(theme)

    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        result = refresh_theme_rollups.apply_async(args=[[theme.pk]])
        for _ in range(100):
            theme.refresh_from_db()
            if theme.rollups_refreshed_at:
                break
            time.sleep(0.1)

    assert result.id
    assert (theme.feedback_count, theme.arr_impacted) == (1, Decimal("250000"))
