"""The roles gain issue 13's records: capture keys and signals, outbound rules and actions, community listening,
discovery records and questions asked of the hub (``feedbackhub.roles``). Sync the groups' permissions again."""

from django.db import migrations


def sync(apps, schema_editor):
    from feedbackhub.roles import sync_roles

    sync_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("feedbackhub", "0011_measuring_roles"),
        ("insights", "0015_discovery_ask"),
        ("integrations", "0006_capture_outbound_community"),
    ]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
