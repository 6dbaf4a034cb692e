"""A real Celery worker consumes tasks from the real Redis broker and writes to the test database."""

import time
from decimal import Decimal

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_prerun

from customers.choices import Lifecycle
from feedbackhub.celery import app
from tests.factories import make_customer, make_feedback, make_theme
from themes.models import Theme
from themes.tasks import refresh_theme_rollups

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def rollups(theme: Theme) -> tuple:
    """The theme's rollup values as the database has them now."""
    theme.refresh_from_db()
    return (
        theme.feedback_count,
        theme.unique_customers,
        theme.arr_impacted,
        theme.arr_at_risk,
        theme.rollups_refreshed_at,
    )


def test_given_a_queued_rollup_task_when_a_worker_on_redis_starts_then_the_worker_updates_the_theme():
    theme = make_theme()
    make_feedback(customer=make_customer(arr=Decimal("250000"))).themes.add(theme)
    make_feedback(customer=make_customer(arr=Decimal("50000"), lifecycle_stage=Lifecycle.AT_RISK)).themes.add(theme)
    assert not app.conf.task_always_eager  # sending must queue the task, not run it here
    assert app.conf.broker_url.startswith(("redis://", "redis+socket://"))
    app.control.purge()

    refresh_theme_rollups.delay([theme.pk])
    before = rollups(theme)
    runs = []  # (task name, ran eagerly?) of every task that starts from now on

    def record(task, **_):
        runs.append((task.name, task.request.is_eager))

    task_prerun.connect(record)
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            for _ in range(100):
                if rollups(theme)[-1] is not None:
                    break
                time.sleep(0.1)
    finally:
        task_prerun.disconnect(record)
    after = rollups(theme)

    assert before == (0, 0, Decimal("0"), Decimal("0"), None)  # nothing ran while no worker was up
    assert after[:4] == (2, 2, Decimal("300000"), Decimal("50000"))
    assert runs == [(refresh_theme_rollups.name, False)]  # run by the worker, from the queue
