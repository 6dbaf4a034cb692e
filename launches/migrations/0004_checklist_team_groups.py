"""One group per checklist team ("Team: Engineering", …) with its permissions: members tick their team's items."""

from django.db import migrations

from launches.choices import CHECKLIST_TEAM_GROUPS, TEAM_GROUP_PERMISSIONS


def create_team_groups(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    app_config = apps.get_app_config("launches")
    previous = getattr(app_config, "models_module", None)  # none in a migration's app states; real ones stay
    app_config.models_module = previous or True  # on a fresh database post_migrate has not created them yet
    try:
        create_permissions(app_config, verbosity=0, apps=apps)
    finally:
        app_config.models_module = previous
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = list(
        Permission.objects.filter(content_type__app_label="launches", codename__in=TEAM_GROUP_PERMISSIONS)
    )
    missing = set(TEAM_GROUP_PERMISSIONS) - {permission.codename for permission in permissions}
    if missing:
        raise LookupError(f"team groups name permissions that do not exist: {sorted(missing)}")
    for name in CHECKLIST_TEAM_GROUPS.values():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*permissions)


def remove_team_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=CHECKLIST_TEAM_GROUPS.values()).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("launches", "0003_description_trgm"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_team_groups, remove_team_groups)]
