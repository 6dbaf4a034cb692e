"""Issue 11, retrospectives: the schedule that writes one at the end of each sprint window (filled in by its part)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("insights", "0010_kpi_schedule")]

    operations = []
