"""Suggested themes daily (05:00 UTC, before the PMs' day), and 'time to verify' already told for existing themes.

Themes that had reached THEME_VERIFY_AT items before the notice existed are marked notified (they show as 'time to
verify' in the admin) instead of mailing every owner at once on the first rollup refresh after the deploy.
"""

from django.conf import settings
from django.db import migrations
from django.utils import timezone

from feedbackhub.schedules import daily


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
        daily("Themes: suggest themes from unthemed feedback", "themes.tasks.suggest_themes", hour=5),
        migrations.RunPython(mark_existing_notified, migrations.RunPython.noop),
    ]
