"""Issue 11, the KPI dashboard: the Celery-beat schedule that precomputes its figures (every 15 minutes, a run not
started within 14 minutes dropped; editable in the admin, never overwritten)."""

from django.db import migrations

NAME = "KPI dashboard: refresh figures"
TASK = "insights.tasks.refresh_kpis"
EVERY_SECONDS = 900
EXPIRE_SECONDS = 840


def create_schedule(apps, schema_editor):
    interval, _ = apps.get_model("django_celery_beat", "IntervalSchedule").objects.get_or_create(
        every=EVERY_SECONDS, period="seconds"
    )
    apps.get_model("django_celery_beat", "PeriodicTask").objects.get_or_create(
        name=NAME, defaults={"task": TASK, "interval": interval, "expire_seconds": EXPIRE_SECONDS, "enabled": True}
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("insights", "0009_default_journey_surveys"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
