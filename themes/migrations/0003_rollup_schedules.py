"""Celery-beat schedules that keep theme rollups fresh: stale themes every minute, every theme hourly.

Editable in the admin (Periodic tasks); this migration creates them once and never overwrites an edited one.
"""

from django.db import migrations

SCHEDULES = [
    # name, task, every (seconds), expires after (seconds): a backlog never runs the same refresh twice.
    ("Theme rollups: refresh stale themes", "themes.tasks.refresh_stale_theme_rollups", 60, 55),
    ("Theme rollups: full refresh", "themes.tasks.refresh_all_theme_rollups", 3600, 3000),
]


def create_schedules(apps, schema_editor):
    interval_model = apps.get_model("django_celery_beat", "IntervalSchedule")
    task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, every, expires in SCHEDULES:
        interval, _ = interval_model.objects.get_or_create(every=every, period="seconds")
        task_model.objects.get_or_create(
            name=name, defaults={"task": task, "interval": interval, "expire_seconds": expires, "enabled": True}
        )


def remove_schedules(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name__in=[s[0] for s in SCHEDULES]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("themes", "0002_rollups_dirty"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedules, remove_schedules)]
