"""Every minute, beat sends the domain events the broker never got (or whose handlers failed) to be processed."""

from django.db import migrations

from feedbackhub.schedules import every_minute

NAME = "Events: process what the broker never got"
TASK = "feedbackhub.tasks.process_pending_events"


class Migration(migrations.Migration):
    dependencies = [
        ("feedbackhub", "0007_domainevent"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [every_minute(NAME, TASK)]
