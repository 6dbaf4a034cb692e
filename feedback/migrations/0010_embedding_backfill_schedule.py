"""Every 5 minutes, embed the items with no vector of their current text (``feedback.tasks.embed_pending``): items
whose triage could not embed them (the provider down), edited texts, and the whole backlog after a provider switch.
A run not started within 4 minutes is dropped (the next one does the work); one run at a time (the task's lock).
"""

from django.db import migrations

NAME = "Embeddings: backfill the items with no vector of their current text"
TASK = "feedback.tasks.embed_pending"


def schedule(apps, schema_editor):
    interval, _ = apps.get_model("django_celery_beat", "IntervalSchedule").objects.get_or_create(
        every=5, period="minutes"
    )
    apps.get_model("django_celery_beat", "PeriodicTask").objects.get_or_create(
        name=NAME, defaults={"task": TASK, "interval": interval, "expire_seconds": 4 * 60, "enabled": True}
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("feedback", "0009_human_fields_index"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
