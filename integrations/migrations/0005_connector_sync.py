"""The connectors' incremental sync: its state per source, and its Celery-beat schedule, every 15 minutes (editable in
the admin; created once and never overwritten; a run not started within 14 minutes is dropped: the next one does it).
"""

from django.db import migrations, models

SYNC_NAME = "Connectors: incremental sync of every configured source"
SYNC_TASK = "integrations.tasks.sync_connectors"


def schedule(apps, schema_editor):
    interval, _ = apps.get_model("django_celery_beat", "IntervalSchedule").objects.get_or_create(
        every=15, period="minutes"
    )
    apps.get_model("django_celery_beat", "PeriodicTask").objects.get_or_create(
        name=SYNC_NAME, defaults={"task": SYNC_TASK, "interval": interval, "expire_seconds": 14 * 60, "enabled": True}
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=SYNC_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("integrations", "0004_ingest_triage_outbox"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.CreateModel(
            name="ConnectorSync",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "source",
                    models.CharField(
                        choices=[
                            ("intercom", "Intercom"),
                            ("zendesk", "Zendesk"),
                            ("slack", "Slack"),
                            ("github", "GitHub"),
                            ("linear", "Linear"),
                            ("call", "Call transcripts"),
                            ("crm", "CRM account sync"),
                        ],
                        max_length=16,
                    ),
                ),
                (
                    "synced_until",
                    models.DateTimeField(
                        blank=True,
                        help_text="When the last successful sync started: the next one fetches what changed since.",
                        null=True,
                    ),
                ),
                ("last_started_at", models.DateTimeField(blank=True, null=True)),
                ("last_finished_at", models.DateTimeField(blank=True, null=True)),
                (
                    "last_status",
                    models.CharField(
                        blank=True, choices=[("succeeded", "Succeeded"), ("failed", "Failed")], max_length=10
                    ),
                ),
                ("last_error", models.TextField(blank=True)),
                (
                    "last_result",
                    models.JSONField(blank=True, default=dict, help_text="Items fetched, created, updated, rejected."),
                ),
                (
                    "failures",
                    models.PositiveIntegerField(default=0, help_text="Failed syncs in a row (0 after a success)."),
                ),
            ],
            options={
                "ordering": ["source"],
                "constraints": [models.UniqueConstraint(fields=("source",), name="connector_sync_unique_source")],
            },
        ),
        migrations.RunPython(schedule, unschedule),
    ]
