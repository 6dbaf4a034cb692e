"""Issue 11, technical metrics: the escalation rule (errors up, sentiment down) and the correlation schedule (filled in by its part)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("insights", "0011_retro_schedule")]

    operations = []
