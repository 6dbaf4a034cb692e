"""Indexes for the outbound admin at scale: the outbox list in its order (newest first) unfiltered and filtered by
status, kind or rule, the rules' "would have opened" / "opened" counts (one index-only count per rule and status
instead of a GROUP BY over every outbox row), and the exact searches on key and external id (``=key``,
``=external_id`` compare UPPER(…)). Built CONCURRENTLY (outside a transaction) so the outbox keeps being written and
swept while a big table is indexed."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models
from django.db.models.functions import Upper


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("integrations", "0007_outbound_community_schedules"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="outboundaction",
            index=models.Index(fields=["-created_at", "-id"], name="outbound_created_idx"),
        ),
        AddIndexConcurrently(
            model_name="outboundaction",
            index=models.Index(fields=["status", "-created_at", "-id"], name="outbound_status_created_idx"),
        ),
        AddIndexConcurrently(
            model_name="outboundaction",
            index=models.Index(fields=["kind", "-created_at", "-id"], name="outbound_kind_created_idx"),
        ),
        AddIndexConcurrently(
            model_name="outboundaction",
            index=models.Index(fields=["rule", "-created_at", "-id"], name="outbound_rule_created_idx"),
        ),
        AddIndexConcurrently(
            model_name="outboundaction",
            index=models.Index(fields=["rule", "status"], name="outbound_rule_status_idx"),
        ),
        AddIndexConcurrently(
            model_name="outboundaction",
            index=models.Index(Upper("key"), name="outbound_key_upper_idx"),
        ),
        AddIndexConcurrently(
            model_name="outboundaction",
            index=models.Index(Upper("external_id"), name="outbound_external_id_upper_idx"),
        ),
    ]
