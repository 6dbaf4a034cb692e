"""Usage signals on the account (last active day, usage change over 7 and 30 days, heavy-use features) with the
indexes the cohorts and the inactivity check read; computed figures (those and the health score) leave the history
(they would write a row per account per day); the daily job that refreshes them and the health score.
"""

import django.contrib.postgres.fields
import django.contrib.postgres.indexes
import pgtrigger.compiler
import pgtrigger.migrations
from django.conf import settings
from django.db import migrations, models

from feedbackhub.schedules import daily

# Usage signals first, then the health score that reads them: one job (insights.tasks.refresh_customer_health).
SCHEDULE = "Customers: usage signals and health score (daily)"


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0002_history"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        pgtrigger.migrations.RemoveTrigger(
            model_name="customer",
            name="before_update_update",
        ),
        pgtrigger.migrations.RemoveTrigger(
            model_name="customer",
            name="before_delete_delete",
        ),
        migrations.RemoveField(
            model_name="customerhistory",
            name="health_score",
        ),
        migrations.AddField(
            model_name="customer",
            name="heavy_features",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.CharField(max_length=50),
                blank=True,
                default=list,
                editable=False,
                help_text="Features this account uses most: in the top 10 % of the accounts using each, over 30 days.",
                size=None,
            ),
        ),
        migrations.AddField(
            model_name="customer",
            name="last_active_on",
            field=models.DateField(
                blank=True,
                editable=False,
                help_text="Last day with active users.",
                null=True,
                verbose_name="last active on",
            ),
        ),
        migrations.AddField(
            model_name="customer",
            name="usage_change_30d",
            field=models.FloatField(
                blank=True,
                editable=False,
                help_text="Active users of the last 30 days against the 30 before, in %; empty when there is too little data.",
                null=True,
                verbose_name="usage change, 30 days (%)",
            ),
        ),
        migrations.AddField(
            model_name="customer",
            name="usage_change_7d",
            field=models.FloatField(
                blank=True,
                editable=False,
                help_text="Active users of the last 7 days against the 7 before, in %; empty when there is too little data.",
                null=True,
                verbose_name="usage change, 7 days (%)",
            ),
        ),
        migrations.AlterField(
            model_name="customer",
            name="health_score",
            field=models.PositiveSmallIntegerField(
                blank=True,
                help_text="0 (about to churn) to 100, computed every day (insights.health): usage trend over 30 days (25 points), days since last activity (20), NPS/CSAT answers of the last 90 days (20), negative feedback and churn signals of the last 90 days (20), open escalations (15). An input with no data counts half its points.",
                null=True,
            ),
        ),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(fields=["customer_since"], name="customer_since_idx"),
        ),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(fields=["last_active_on"], name="customer_last_active_idx"),
        ),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(fields=["usage_change_30d"], name="customer_usage_30d_idx"),
        ),
        migrations.AddIndex(
            model_name="customer",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["heavy_features"], name="customer_heavy_features_gin"
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="customer",
            trigger=pgtrigger.compiler.Trigger(
                name="before_update_update",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition='WHEN (OLD."account_owner_id" IS DISTINCT FROM (NEW."account_owner_id") OR OLD."arr" IS DISTINCT FROM (NEW."arr") OR OLD."crm_id" IS DISTINCT FROM (NEW."crm_id") OR OLD."customer_since" IS DISTINCT FROM (NEW."customer_since") OR OLD."domain" IS DISTINCT FROM (NEW."domain") OR OLD."id" IS DISTINCT FROM (NEW."id") OR OLD."industry" IS DISTINCT FROM (NEW."industry") OR OLD."language" IS DISTINCT FROM (NEW."language") OR OLD."lifecycle_stage" IS DISTINCT FROM (NEW."lifecycle_stage") OR OLD."name" IS DISTINCT FROM (NEW."name") OR OLD."plan" IS DISTINCT FROM (NEW."plan") OR OLD."primary_use_case" IS DISTINCT FROM (NEW."primary_use_case") OR OLD."region" IS DISTINCT FROM (NEW."region") OR OLD."renewal_date" IS DISTINCT FROM (NEW."renewal_date") OR OLD."tier" IS DISTINCT FROM (NEW."tier"))',
                    func='INSERT INTO "customers_customerhistory" ("account_owner_id", "arr", "crm_id", "customer_since", "domain", "id", "industry", "language", "lifecycle_stage", "name", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "plan", "primary_use_case", "region", "renewal_date", "tier") VALUES (OLD."account_owner_id", OLD."arr", OLD."crm_id", OLD."customer_since", OLD."domain", OLD."id", OLD."industry", OLD."language", OLD."lifecycle_stage", OLD."name", _pgh_attach_context(), NOW(), \'before_update\', OLD."id", OLD."plan", OLD."primary_use_case", OLD."region", OLD."renewal_date", OLD."tier"); RETURN NULL;',
                    hash="310f3df3cab7a3eacd27203d1b52817c66a8c56f",
                    operation="UPDATE",
                    pgid="pgtrigger_before_update_update_50881",
                    table="customers_customer",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="customer",
            trigger=pgtrigger.compiler.Trigger(
                name="before_delete_delete",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func='INSERT INTO "customers_customerhistory" ("account_owner_id", "arr", "crm_id", "customer_since", "domain", "id", "industry", "language", "lifecycle_stage", "name", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "plan", "primary_use_case", "region", "renewal_date", "tier") VALUES (OLD."account_owner_id", OLD."arr", OLD."crm_id", OLD."customer_since", OLD."domain", OLD."id", OLD."industry", OLD."language", OLD."lifecycle_stage", OLD."name", _pgh_attach_context(), NOW(), \'before_delete\', OLD."id", OLD."plan", OLD."primary_use_case", OLD."region", OLD."renewal_date", OLD."tier"); RETURN NULL;',
                    hash="bd87d7a7072ee17487d4fbd392eae46d15032a1b",
                    operation="DELETE",
                    pgid="pgtrigger_before_delete_delete_b1520",
                    table="customers_customer",
                    when="AFTER",
                ),
            ),
        ),
        daily(SCHEDULE, "insights.tasks.refresh_customer_health", hour=2, minute=30, expire_seconds=6 * 3600),
    ]
