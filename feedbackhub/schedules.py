"""Celery-beat schedules created by data migrations: once, editable in the admin (Periodic tasks), never overwritten.

``every_minute("Name people read", "app.tasks.task")`` is a migration operation; reversing it removes the schedule.
"""

from __future__ import annotations

from django.db import migrations


def every_minute(name: str, task: str, *, expire_seconds: int = 55) -> migrations.RunPython:
    """A RunPython that schedules ``task`` every minute under ``name`` (a run not started within
    ``expire_seconds`` is dropped: the next minute's run does the work)."""

    def create(apps, schema_editor):
        interval, _ = apps.get_model("django_celery_beat", "IntervalSchedule").objects.get_or_create(
            every=60, period="seconds"
        )
        apps.get_model("django_celery_beat", "PeriodicTask").objects.get_or_create(
            name=name, defaults={"task": task, "interval": interval, "expire_seconds": expire_seconds, "enabled": True}
        )

    def remove(apps, schema_editor):
        apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=name).delete()

    return migrations.RunPython(create, remove)


def daily(
    name: str, task: str, *, hour: int = 3, minute: int = 0, expire_seconds: int = 6 * 3600
) -> migrations.RunPython:
    """A RunPython that schedules ``task`` once a day at ``hour``:``minute`` UTC under ``name`` (a run not started
    within ``expire_seconds`` is dropped: tomorrow's does the work)."""

    def create(apps, schema_editor):
        crontab, _ = apps.get_model("django_celery_beat", "CrontabSchedule").objects.get_or_create(
            minute=str(minute), hour=str(hour), day_of_week="*", day_of_month="*", month_of_year="*", timezone="UTC"
        )
        apps.get_model("django_celery_beat", "PeriodicTask").objects.get_or_create(
            name=name, defaults={"task": task, "crontab": crontab, "expire_seconds": expire_seconds, "enabled": True}
        )

    def remove(apps, schema_editor):
        apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=name).delete()

    return migrations.RunPython(create, remove)
