"""The weekly digest every Friday at 16:00 UTC (seed 001: "Weekly (Fridays) Send digest"), editable in the admin
(Periodic tasks). A run not started within four hours is dropped: a digest sent on Saturday morning helps nobody, and
"Write this week's digest now" on the digests' page writes a missed one. Created once, never overwritten."""

from django.db import migrations

NAME = "Notifications: weekly digest (Fridays)"
TASK = "notifications.tasks.write_weekly_digests"
EXPIRE_SECONDS = 4 * 3600


def create_schedule(apps, schema_editor):
    crontab, _ = apps.get_model("django_celery_beat", "CrontabSchedule").objects.get_or_create(
        minute="0", hour="16", day_of_week="5", day_of_month="*", month_of_year="*", timezone="UTC"
    )
    apps.get_model("django_celery_beat", "PeriodicTask").objects.get_or_create(
        name=NAME, defaults={"task": TASK, "crontab": crontab, "expire_seconds": EXPIRE_SECONDS, "enabled": True}
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0002_delivery_sweep"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
