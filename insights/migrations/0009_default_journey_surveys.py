"""Issue 11, journey surveys: the settings row, seed 004's four default surveys, the minute schedule that sends due invitations (filled in by its part)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("insights", "0008_journeys_retros_technical")]

    operations = []
