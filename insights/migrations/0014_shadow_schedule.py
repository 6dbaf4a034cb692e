"""Issue 11, shadow experiments: the schedule that runs running triage shadows on newly triaged items."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("insights", "0013_experiment_ended_push_attempted")]

    operations = []
