"""The roles gain their role views (proxy models of feedback and themes): sync the groups' permissions again."""

from django.db import migrations


def sync(apps, schema_editor):
    from feedbackhub.roles import sync_roles

    sync_roles(apps, missing_ok=True)  # models of later migrations get theirs in a later sync (0009_loop_roles)


class Migration(migrations.Migration):
    dependencies = [
        ("feedbackhub", "0002_roles"),
        ("feedback", "0002_role_views"),
        ("themes", "0005_role_views"),
    ]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
