"""Install the default checklist template of each of the six launch types (seed 002)."""

from django.db import migrations

from launches.checklists import DEFAULT_TEMPLATES


def install(apps, schema_editor):
    ChecklistTemplate = apps.get_model("launches", "ChecklistTemplate")
    ChecklistTemplateItem = apps.get_model("launches", "ChecklistTemplateItem")
    for launch_type, teams in DEFAULT_TEMPLATES.items():
        template, created = ChecklistTemplate.objects.get_or_create(launch_type=launch_type)
        if created:
            ChecklistTemplateItem.objects.bulk_create(
                ChecklistTemplateItem(
                    template=template, team=team, title=title, position=position, due_days_before=days
                )
                for team, items in teams.items()
                for position, (title, days) in enumerate(items)
            )


class Migration(migrations.Migration):
    dependencies = [("launches", "0001_initial")]
    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
