"""The roles gain product events and experiments (issue 11): product ops records events and runs experiments,
leadership reads experiments. Sync the groups' permissions again."""

from django.db import migrations


def sync(apps, schema_editor):
    from feedbackhub.roles import sync_roles

    sync_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("feedbackhub", "0009_loop_roles"),
        ("insights", "0007_event_indexes"),
    ]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
