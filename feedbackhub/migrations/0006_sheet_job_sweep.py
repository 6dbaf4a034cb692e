"""The Celery-beat schedule that sends again spreadsheet jobs the broker never got (or whose worker died).

Editable in the admin (Periodic tasks); this migration creates it once and never overwrites an edited one.
"""

from django.db import migrations

from feedbackhub.schedules import every_minute

NAME = "Spreadsheet jobs: send again the waiting ones"
TASK = "feedbackhub.tasks.requeue_sheet_jobs"


class Migration(migrations.Migration):
    dependencies = [
        ("feedbackhub", "0005_sheet_jobs"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [every_minute(NAME, TASK)]
