"""The product's roles as groups with their permissions (``feedbackhub.roles``), on every install."""

from django.db import migrations


def create_roles(apps, schema_editor):
    from feedbackhub.roles import sync_roles

    sync_roles(apps, missing_ok=True)  # models of later migrations get theirs in a later sync


def remove_roles(apps, schema_editor):
    from feedbackhub.roles import ROLES

    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("feedbackhub", "0001_extensions"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("customers", "0001_initial"),
        ("feedback", "0001_initial"),
        ("themes", "0001_initial"),
        ("launches", "0002_default_checklist_templates"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
