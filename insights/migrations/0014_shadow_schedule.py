"""Issue 11, shadow experiments: the schedule that runs running triage shadows on newly triaged items
(``insights.tasks.shadow_triage`` every 15 minutes, a run not started within 14 minutes dropped; the task requeues
itself while items wait). Editable in the admin, never overwritten; reversing removes it."""

from django.db import migrations

NAME = "Shadow experiments: triage newly triaged items in the shadow"
TASK = "insights.tasks.shadow_triage"
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
        ("insights", "0013_experiment_ended_push_attempted"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
