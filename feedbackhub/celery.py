"""The Celery application: configuration from Django settings (CELERY_*), tasks from every app's tasks.py."""

import os

from celery import Celery
from celery.signals import celeryd_after_setup

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "feedbackhub.settings")

app = Celery("feedbackhub")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


OFFLINE_THREADS_ENV = "AI_OFFLINE_THREADS"  # read by ai.providers.offline.default_threads


@celeryd_after_setup.connect
def share_cores_with_the_pool(sender=None, instance=None, **kwargs) -> None:
    """Before a prefork pool starts: each of its processes runs the offline model on its share of the cores
    (``ai.providers.offline.default_threads``), not on every core at once. An explicit AI_OFFLINE_THREADS wins."""
    from feedbackhub.gunicorn_conf import available_cores

    processes = getattr(instance, "concurrency", None)
    prefork = getattr(getattr(instance, "pool_cls", None), "__module__", "") == "celery.concurrency.prefork"
    if prefork and isinstance(processes, int) and processes > 0:  # threads/solo pools: one process, every core
        os.environ.setdefault(OFFLINE_THREADS_ENV, str(max(1, available_cores() // processes)))
