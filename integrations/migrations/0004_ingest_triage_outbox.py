"""Ingestion: the outbox of triage messages not sent yet, product ops' "Needs a customer" queue (a proxy of feedback),
and the Celery-beat schedule of the sweep that sends what the broker missed (editable in the admin; created once and
never overwritten).
"""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

from feedbackhub.schedules import every_minute

SWEEP_NAME = "Ingestion: queue for triage what the broker missed"
SWEEP_TASK = "integrations.tasks.send_pending_triage"


class Migration(migrations.Migration):
    dependencies = [
        ("feedback", "0005_merges"),
        ("integrations", "0003_webhook_delivery"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.CreateModel(
            name="PendingTriage",
            fields=[
                (
                    "item",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="feedback.feedbackitem",
                    ),
                ),
                ("queued_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                "verbose_name_plural": "pending triage",
                "ordering": ["item"],
            },
        ),
        migrations.CreateModel(
            name="UnmatchedFeedback",
            fields=[],
            options={
                "verbose_name": "feedback needing a customer",
                "verbose_name_plural": "product ops: needs a customer",
                "proxy": True,
                "indexes": [],
                "constraints": [],
            },
            bases=("feedback.feedbackitem",),
        ),
        every_minute(SWEEP_NAME, SWEEP_TASK),
    ]
