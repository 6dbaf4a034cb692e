"""Suggested themes daily (05:00 UTC, before the PMs' day), and 'time to verify' already told for existing themes.

Themes that had reached THEME_VERIFY_AT items before the notice existed are marked notified (they show as 'time to
verify' in the admin) instead of mailing every owner at once on the first rollup refresh after the deploy.
"""

from django.conf import settings
from django.db import migrations
from django.utils import timezone

NAME = "Themes: suggest themes from unthemed feedback"
TASK = "themes.tasks.suggest_themes"


def create_schedule(apps, schema_editor):
    crontab, _ = apps.get_model("django_celery_beat", "CrontabSchedule").objects.get_or_create(
        minute="0", hour="5", day_of_week="*", day_of_month="*", month_of_year="*", timezone="UTC"
    )
    apps.get_model("django_celery_beat", "PeriodicTask").objects.get_or_create(
        name=NAME, defaults={"task": TASK, "crontab": crontab, "expire_seconds": 6 * 3600, "enabled": True}
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


def mark_existing_notified(apps, schema_editor):
    apps.get_model("themes", "Theme").objects.filter(
        verify_notified_at__isnull=True, feedback_count__gte=settings.THEME_VERIFY_AT
    ).update(verify_notified_at=timezone.now())


class Migration(migrations.Migration):
    dependencies = [
        ("themes", "0009_suggestions"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.RunPython(create_schedule, remove_schedule),
        migrations.RunPython(mark_existing_notified, migrations.RunPython.noop),
    ]
