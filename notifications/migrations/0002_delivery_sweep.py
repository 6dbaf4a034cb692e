"""A "sending" status (a worker's claim on a notification while it calls the channel), and the minute sweep that
delivers what is due: messages the broker never got, retries whose backoff is over, claims of dead workers."""

from django.db import migrations, models

from feedbackhub.schedules import every_minute

NAME = "Notifications: deliver the outbox"
TASK = "notifications.tasks.deliver_due"


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.AlterField(
            model_name="notification",
            name="status",
            field=models.CharField(
                choices=[
                    ("pending", "Pending"),
                    ("sending", "Sending"),
                    ("sent", "Sent"),
                    ("failed", "Failed"),
                    ("cancelled", "Cancelled"),
                ],
                default="pending",
                max_length=10,
            ),
        ),
        every_minute(NAME, TASK),
    ]
