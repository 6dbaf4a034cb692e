"""Issue 13's schedules (editable in the admin; created once, never overwritten): the outbound outbox's sweep every
minute (tracker issues and CRM updates whose on-commit send was missed or is due again), and community listening every
30 minutes (a run not started within 25 minutes is dropped: the next one does it)."""

from django.db import migrations

from feedbackhub.schedules import every_minute

COMMUNITY_NAME = "Community listening: fetch every enabled watch"
COMMUNITY_TASK = "integrations.community_tasks.fetch_community_watches"


def schedule_community(apps, schema_editor):
    interval, _ = apps.get_model("django_celery_beat", "IntervalSchedule").objects.get_or_create(
        every=30, period="minutes"
    )
    apps.get_model("django_celery_beat", "PeriodicTask").objects.get_or_create(
        name=COMMUNITY_NAME,
        defaults={"task": COMMUNITY_TASK, "interval": interval, "expire_seconds": 25 * 60, "enabled": True},
    )


def unschedule_community(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=COMMUNITY_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("integrations", "0006_capture_outbound_community"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        every_minute(
            "Outbound: send due tracker issues and CRM updates",
            "integrations.outbound_tasks.send_due_outbound_actions",
            expire_seconds=55,
        ),
        migrations.RunPython(schedule_community, unschedule_community),
    ]
