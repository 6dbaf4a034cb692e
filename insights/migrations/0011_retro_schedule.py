"""Issue 11, retrospectives: the daily run that writes the retrospective of each sprint window once it has ended
(``insights.tasks.write_due_retrospective``: the last ended window, when it has none yet)."""

from django.db import migrations

from feedbackhub.schedules import daily


class Migration(migrations.Migration):
    dependencies = [("insights", "0010_kpi_schedule")]

    operations = [
        daily("Write the retrospective of the sprint that ended", "insights.tasks.write_due_retrospective", hour=6),
    ]
