from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("integrations", "0001_initial"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="apitoken",
            index=models.Index(fields=["-created_at", "-id"], name="apitoken_created_idx"),
        ),
        migrations.AddConstraint(
            model_name="apitoken",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("scopes__contained_by", ["read", "write", "ingest"]), models.Q(("scopes", []), _negated=True)
                ),
                name="apitoken_scopes_known",
            ),
        ),
    ]
