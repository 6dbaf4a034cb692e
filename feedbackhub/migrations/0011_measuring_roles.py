"""The roles gain issue 11's measures: journey surveys, the KPI dashboard, retrospectives, technical metrics and
shadow observations (``feedbackhub.roles``). Sync the groups' permissions again."""

from django.db import migrations


def sync(apps, schema_editor):
    from feedbackhub.roles import sync_roles

    sync_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("feedbackhub", "0010_measurement_roles"),
        ("insights", "0014_shadow_schedule"),
    ]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
