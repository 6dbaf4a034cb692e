"""The roles gain the loop's records (issue 9): customer updates, escalations and their rules, survey responses, the
outbox and the weekly digests. Sync the groups' permissions again."""

from django.db import migrations


def sync(apps, schema_editor):
    from feedbackhub.roles import sync_roles

    sync_roles(apps, missing_ok=True)  # models of later migrations get theirs in a later sync (0010)


class Migration(migrations.Migration):
    dependencies = [
        ("feedbackhub", "0008_event_sweep"),
        ("launches", "0008_customer_updates"),
        ("insights", "0004_default_escalation_rules"),
        ("notifications", "0003_weekly_digest_schedule"),
    ]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
