"""Seed 001's "Who to Ask, When" cohorts as saved views of the customers list, shared with Sales / CS and Product
ops (``customers.cohorts``; the views are only ``?cohort=<key>``: the rule is computed when a view is opened).

A saved view needs an owner: an inactive user, ``feedbackhub``, that cannot sign in. Superusers can still edit the
views (``feedbackhub.saved_views.may_change``); exporting a cohort is the customers list's own export.

Also: ``Customer.heavy_features`` gets a database default (``'{}'``), so rows written in SQL without it (the scale
seeder's COPY) are accepted (0003 added the column without one).
"""

import django.contrib.postgres.fields
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import migrations, models

OWNER = "feedbackhub"
SHARED_WITH = ("Sales / CS", "Product ops")  # feedbackhub.roles.SALES_CS, PRODUCT_OPS
VIEWS = {  # name → query (customers.cohorts.COHORTS)
    "Cohort: signed up in the last 14 days": "cohort=new",
    "Cohort: usage down 30 %+ in 30 days": "cohort=usage_down",
    "Cohort: 12+ months, still active": "cohort=loyal",
    "Cohort: recently expanded": "cohort=expanded",
    "Cohort: heavy users of a feature": "cohort=heavy",
}


def create_views(apps, schema_editor):
    user_model = apps.get_model(settings.AUTH_USER_MODEL)
    owner, _ = user_model.objects.get_or_create(
        username=OWNER,
        defaults={"first_name": "FeedbackHub", "is_active": False, "password": make_password(None)},
    )
    groups = list(apps.get_model("auth", "Group").objects.filter(name__in=SHARED_WITH))
    saved_view = apps.get_model("feedbackhub", "SavedView")
    for name, query in VIEWS.items():
        view, _ = saved_view.objects.get_or_create(
            owner=owner, app_label="customers", model_name="customer", name=name, defaults={"query": query}
        )
        view.shared_with.add(*groups)


def remove_views(apps, schema_editor):
    saved_view = apps.get_model("feedbackhub", "SavedView")
    saved_view.objects.filter(
        owner__username=OWNER, app_label="customers", model_name="customer", name__in=list(VIEWS)
    ).delete()
    user_model = apps.get_model(settings.AUTH_USER_MODEL)
    user_model.objects.filter(username=OWNER, is_active=False, saved_views__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0003_usage_signals"),
        ("feedbackhub", "0004_saved_views"),
        ("feedbackhub", "0002_roles"),
    ]

    operations = [
        migrations.AlterField(
            model_name="customer",
            name="heavy_features",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.CharField(max_length=50),
                blank=True,
                db_default=[],
                default=list,
                editable=False,
                help_text="Features this account uses more than 90 % of the accounts using each, over 30 days.",
                size=None,
            ),
        ),
        migrations.RunPython(create_views, remove_views),
    ]
