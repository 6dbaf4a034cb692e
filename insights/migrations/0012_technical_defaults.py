"""Issue 11, technical metrics: the default escalation rule "errors rise while sentiment falls" (enabled) and the
daily schedule that precomputes the correlations ("technical:correlations"). Both are editable in the admin and never
overwritten here (created only when missing, by name); reversing removes them (the rule only while it has no
escalations)."""

from django.db import migrations

from feedbackhub.schedules import daily

SCHEDULE = "Technical metrics: daily correlations with feedback"
TASK = "insights.tasks.refresh_technical_correlations"

# Frozen here: later changes to the rule are made in the admin, not by editing this.
RULE = {  # seed 003 "Proactive Technical Issue Prevention": errors up by half in two weeks while sentiment falls
    "name": "Errors up 50 % in 14 days while sentiment falls",
    "metric": "errors_up_sentiment_down",
    "period_days": 14,
    "threshold": 50,
    "comparison": "gte",
    "severity": "high",
    "action": "cs_alert",
    "channels": ["slack"],  # no owner to e-mail: a product or a segment, not an account
    "enabled": True,
}


def create_rule(apps, schema_editor):
    apps.get_model("insights", "EscalationRule").objects.get_or_create(name=RULE["name"], defaults=RULE)


def remove_rule(apps, schema_editor):
    apps.get_model("insights", "EscalationRule").objects.filter(name=RULE["name"], escalations__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("insights", "0011_retro_schedule")]

    operations = [
        migrations.RunPython(create_rule, remove_rule),
        daily(SCHEDULE, TASK, hour=4, minute=20),
    ]
