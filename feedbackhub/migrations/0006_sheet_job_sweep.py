"""The Celery-beat schedule that sends again spreadsheet jobs the broker never got (or whose worker died).

Editable in the admin (Periodic tasks); this migration creates it once and never overwrites an edited one.
"""

from django.db import migrations

NAME = "Spreadsheet jobs: send again the waiting ones"
TASK = "feedbackhub.tasks.requeue_sheet_jobs"


def create_schedule(apps, schema_editor):
    interval, _ = apps.get_model("django_celery_beat", "IntervalSchedule").objects.get_or_create(
        every=60, period="seconds"
    )
    apps.get_model("django_celery_beat", "PeriodicTask").objects.get_or_create(
        name=NAME, defaults={"task": TASK, "interval": interval, "expire_seconds": 55, "enabled": True}
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("feedbackhub", "0005_sheet_jobs"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
