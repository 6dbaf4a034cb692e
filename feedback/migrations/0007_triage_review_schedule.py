"""The admin's "Needs a person" index, and the daily retraining of the offline classifier (Periodic tasks)."""

from django.db import migrations, models

from feedbackhub.schedules import daily

RETRAIN_NAME = "Triage: retrain the offline classifier on the PMs' corrections"
RETRAIN_TASK = "feedback.tasks.retrain_classifier"


class Migration(migrations.Migration):
    dependencies = [
        ("feedback", "0006_triage"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="triagerecord",
            index=models.Index(
                condition=models.Q(("outcome", "needs_review")), fields=["feedback"], name="triage_needs_review_idx"
            ),
        ),
        daily(RETRAIN_NAME, RETRAIN_TASK, hour=3),
    ]
