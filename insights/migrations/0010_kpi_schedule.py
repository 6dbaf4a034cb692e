"""Issue 11, the KPI dashboard: the schedule that precomputes its figures (filled in by its part)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("insights", "0009_default_journey_surveys")]

    operations = []
