"""Saved views of the admin lists (``feedbackhub.models.SavedView``)."""

import django.db.models.deletion
import django.db.models.functions.text
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("feedbackhub", "0003_role_views"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="SavedView",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=80)),
                ("app_label", models.CharField(max_length=100)),
                ("model_name", models.CharField(max_length=100)),
                (
                    "query",
                    models.CharField(
                        blank=True,
                        help_text="The changelist's query string without '?': filters, search (q), sort (o), columns (cols).",
                        max_length=2000,
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "owner",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="saved_views",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "shared_with",
                    models.ManyToManyField(
                        blank=True,
                        help_text="Roles whose members see this view (read-only).",
                        related_name="saved_views",
                        to="auth.group",
                    ),
                ),
            ],
            options={
                "ordering": ["app_label", "model_name", "name", "id"],
                "indexes": [
                    models.Index(fields=["app_label", "model_name", "name", "id"], name="savedview_changelist_idx")
                ],
                "constraints": [
                    models.UniqueConstraint(
                        models.F("owner"),
                        models.F("app_label"),
                        models.F("model_name"),
                        django.db.models.functions.text.Lower("name"),
                        name="savedview_owner_changelist_name_uniq",
                        violation_error_message="You already have a view with this name on this list.",
                    )
                ],
            },
        ),
    ]
