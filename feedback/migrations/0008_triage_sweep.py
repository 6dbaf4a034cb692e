"""Every minute, triage what no message triaged: items a person made (admin, API, import) and pieces a failed run left."""

from django.db import migrations

from feedbackhub.schedules import every_minute


class Migration(migrations.Migration):
    dependencies = [
        ("feedback", "0007_triage_review_schedule"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [every_minute("Triage: items no message triaged", "feedback.tasks.triage_untriaged")]
