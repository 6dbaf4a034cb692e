"""Indexes for the feedback maturity filters (issue 13): each list filter is served by (value, received_at, id) like
the other choice filters. Built CONCURRENTLY (outside a transaction) so writes go on while a big table is indexed."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("customers", "0004_cohort_views"),
        ("feedback", "0012_capture_maturity"),
        ("themes", "0011_shipped_event"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="feedbackitem",
            index=models.Index(fields=["time_maturity", "-received_at", "-id"], name="feedback_time_maturity_idx"),
        ),
        AddIndexConcurrently(
            model_name="feedbackitem",
            index=models.Index(fields=["usage_maturity", "-received_at", "-id"], name="feedback_usage_maturity_idx"),
        ),
    ]
