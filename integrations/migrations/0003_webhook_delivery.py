"""Webhook deliveries, and the Celery-beat schedule that sends again the ones left queued.

The schedule is editable in the admin (Periodic tasks); this migration creates it once and never overwrites an edit.
"""

from django.db import migrations, models

from feedbackhub.schedules import every_minute

SWEEP_NAME = "Webhooks: send again the deliveries left queued"
SWEEP_TASK = "integrations.tasks.requeue_waiting_deliveries"


class Migration(migrations.Migration):
    dependencies = [
        ("integrations", "0002_apitoken_constraints"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.CreateModel(
            name="WebhookDelivery",
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
                    "delivery_id",
                    models.CharField(help_text="The vendor's id of this delivery or event.", max_length=255),
                ),
                ("event", models.CharField(blank=True, help_text="What happened, e.g. issues.closed.", max_length=100)),
                ("received_at", models.DateTimeField(auto_now_add=True)),
                (
                    "headers",
                    models.JSONField(
                        blank=True, default=dict, help_text="The delivery headers worth keeping (no secrets)."
                    ),
                ),
                ("body", models.TextField(blank=True, help_text="The raw body as received.")),
                (
                    "payload",
                    models.JSONField(blank=True, default=dict, help_text="The body parsed (JSON, or a Slack form)."),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("queued", "Queued"),
                            ("processed", "Processed"),
                            ("failed", "Failed"),
                            ("ignored", "Ignored (nothing to take in)"),
                        ],
                        default="queued",
                        max_length=10,
                    ),
                ),
                ("attempts", models.PositiveSmallIntegerField(default=0)),
                ("error", models.TextField(blank=True)),
                (
                    "result",
                    models.JSONField(
                        blank=True, default=dict, help_text="What processing did: items taken in, updates."
                    ),
                ),
                ("processed_at", models.DateTimeField(blank=True, null=True)),
            ],
            options={
                "verbose_name_plural": "webhook deliveries",
                "ordering": ["-received_at", "-id"],
                "indexes": [
                    models.Index(fields=["-received_at", "-id"], name="webhook_delivery_received_idx"),
                    models.Index(
                        condition=models.Q(("status", "queued")),
                        fields=["received_at"],
                        name="webhook_delivery_queued_idx",
                    ),
                ],
                "constraints": [
                    models.UniqueConstraint(fields=("source", "delivery_id"), name="webhook_delivery_unique_id")
                ],
            },
        ),
        every_minute(SWEEP_NAME, SWEEP_TASK),
    ]
