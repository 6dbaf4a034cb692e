"""Spreadsheet jobs (``feedbackhub.models.SheetJob``): long exports and imports run by a worker, with progress."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("feedbackhub", "0004_saved_views"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="SheetJob",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("kind", models.CharField(choices=[("export", "Export"), ("import", "Import")], max_length=10)),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("queued", "Queued"),
                            ("running", "Running"),
                            ("ready", "Checked: waiting for your confirmation"),
                            ("done", "Done"),
                            ("failed", "Failed"),
                        ],
                        default="queued",
                        max_length=10,
                    ),
                ),
                ("app_label", models.CharField(max_length=100)),
                ("model_name", models.CharField(max_length=100)),
                (
                    "query",
                    models.CharField(blank=True, help_text="The changelist's filters and search.", max_length=2000),
                ),
                (
                    "form_data",
                    models.JSONField(blank=True, default=dict, help_text="The export or import form, as posted."),
                ),
                (
                    "confirmed",
                    models.BooleanField(
                        default=False, help_text="An import: its owner confirmed it after the dry run."
                    ),
                ),
                (
                    "file_name",
                    models.CharField(
                        blank=True, help_text="The uploaded file's name, or the export's.", max_length=255
                    ),
                ),
                ("upload", models.BinaryField(blank=True, null=True)),
                ("result", models.BinaryField(blank=True, null=True)),
                ("content_type", models.CharField(blank=True, max_length=100)),
                ("rows_total", models.PositiveIntegerField(blank=True, null=True)),
                ("rows_done", models.PositiveIntegerField(default=0)),
                ("summary", models.JSONField(blank=True, default=dict, help_text="An import's counts by outcome.")),
                (
                    "row_errors",
                    models.JSONField(blank=True, default=list, help_text="An import's errors, one entry per bad row."),
                ),
                ("error", models.TextField(blank=True, help_text="Why the job failed.")),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("queued_at", models.DateTimeField(auto_now_add=True)),
                ("started_at", models.DateTimeField(blank=True, null=True)),
                ("finished_at", models.DateTimeField(blank=True, null=True)),
                (
                    "started_by",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="sheet_jobs",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "import or export",
                "verbose_name_plural": "imports and exports",
                "ordering": ["-created_at", "-id"],
                "indexes": [
                    models.Index(fields=["started_by", "-created_at", "-id"], name="sheetjob_mine_idx"),
                    models.Index(fields=["-created_at", "-id"], name="sheetjob_created_idx"),
                    models.Index(
                        condition=models.Q(("status__in", ["queued", "running"])),
                        fields=["queued_at"],
                        name="sheetjob_waiting_idx",
                    ),
                ],
            },
        ),
    ]
