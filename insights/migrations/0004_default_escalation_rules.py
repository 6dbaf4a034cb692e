"""The default escalation rules (seed 001 "Automations to Set Up", "Usage Analytics", "NPS/Surveys"; seed 004
"Auto-Escalation System") and the hourly escalation check's schedule, so a fresh install has both. Both are editable
in the admin afterwards and never overwritten by this migration (created only when missing, by name)."""

from django.db import migrations

SCHEDULE = "Escalations: hourly check"
TASK = "insights.tasks.check_escalations"
BOTH = ["email", "slack"]

# Frozen here: later changes to the rules are made in the admin, not by editing this list.
RULES = [
    {  # seed 001: "Detractors trigger CS alert"
        "name": "NPS detractor",
        "metric": "nps_detractor",
        "period_days": 7,
        "threshold": 6,
        "comparison": "lte",
        "severity": "high",
        "action": "cs_alert",
    },
    {  # seed 001: "Alert on usage drops > 20%"
        "name": "Usage drop over 20 % week over week",
        "metric": "usage_drop",
        "period_days": 7,
        "threshold": 20,
        "comparison": "gt",
        "severity": "high",
        "action": "churn_alert",
    },
    {  # seed 001, "Who to Ask, When": "usage has dropped 30%+ in 30 days — they're on their way out"
        "name": "Usage drop of 30 % or more in 30 days",
        "metric": "usage_drop",
        "period_days": 30,
        "threshold": 30,
        "comparison": "gte",
        "severity": "critical",
        "action": "churn_alert",
    },
    {  # seed 001: "Flag accounts with no activity in 14 days"
        "name": "No activity in 14 days",
        "metric": "inactivity",
        "period_days": 14,
        "threshold": 14,
        "comparison": "gte",
        "severity": "high",
        "action": "churn_alert",
    },
    {  # seed 001 risk scoring: "prioritize high-ARR feedback"; $500k: the top of the enterprise band and up
        "name": "Negative feedback from a high-ARR account",
        "metric": "negative_high_arr",
        "period_days": 7,
        "threshold": 500000,
        "comparison": "gte",
        "severity": "high",
        "action": "cs_alert",
    },
    {  # seed 001 risk scoring: "Flag churn signals … early warning for at-risk accounts"
        "name": "Churn signal from an enterprise account",
        "metric": "enterprise_churn_signal",
        "period_days": 7,
        "threshold": 1,
        "comparison": "gte",
        "severity": "critical",
        "action": "churn_alert",
    },
    {  # seed 001 risk scoring: "competitive mentions"
        "name": "Competitor mention",
        "metric": "competitor_mention",
        "period_days": 7,
        "threshold": 1,
        "comparison": "gte",
        "severity": "medium",
        "action": "sales_alert",
    },
    {  # seed 001: "Theme reaches 5+ feedback items → Alert PM owner: time to verify"
        "name": "Theme reaches 5 items: time to verify",
        "metric": "theme_critical_mass",
        "period_days": 7,
        "threshold": 5,
        "comparison": "gte",
        "severity": "medium",
        "action": "pm_time_to_verify",
    },
]


def create(apps, schema_editor):
    Rule = apps.get_model("insights", "EscalationRule")
    for rule in RULES:
        Rule.objects.get_or_create(name=rule["name"], defaults={**rule, "channels": BOTH, "enabled": True})
    interval, _ = apps.get_model("django_celery_beat", "IntervalSchedule").objects.get_or_create(
        every=1, period="hours"
    )
    apps.get_model("django_celery_beat", "PeriodicTask").objects.get_or_create(
        name=SCHEDULE, defaults={"task": TASK, "interval": interval, "expire_seconds": 3300, "enabled": True}
    )


def remove(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=SCHEDULE).delete()
    apps.get_model("insights", "EscalationRule").objects.filter(
        name__in=[rule["name"] for rule in RULES], escalations__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("insights", "0003_escalations_surveys"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create, remove)]
