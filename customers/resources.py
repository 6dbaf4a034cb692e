"""Spreadsheet import and export (django-import-export) of customers; the shared pieces are ``feedbackhub.sheets``."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from import_export import fields, widgets

from customers import services
from customers.choices import Industry, Language, Lifecycle, Plan, Region, Tier, UseCase
from customers.models import Customer
from customers.rules import is_at_risk
from feedbackhub.sheets import ChoiceWidget, HubResource, KeyWidget


class UserWidget(widgets.Widget):
    """A person column: exports the full name, imports an e-mail, username or full name (``user_by_name``)."""

    def clean(self, value, row=None, **kwargs):
        try:
            return services.user_by_name(name=None if value is None else str(value))
        except ValidationError as error:
            raise ValueError(" ".join(error.messages)) from None

    def render(self, value, obj=None, **kwargs) -> str:
        return services.user_label(user=value)


class CustomerResource(HubResource):
    """Customer lists: segments, ARR, owner, renewal and health; rows are matched by domain or CRM id."""

    name = fields.Field(attribute="name", column_name="Company", widget=widgets.CharWidget())
    domain = fields.Field(
        attribute="domain", column_name="Domain", widget=KeyWidget(normalize=services.normalize_domain)
    )
    crm_id = fields.Field(attribute="crm_id", column_name="CRM id", widget=KeyWidget())
    industry = fields.Field(attribute="industry", column_name="Industry", widget=ChoiceWidget(Industry.choices))
    region = fields.Field(attribute="region", column_name="Region", widget=ChoiceWidget(Region.choices))
    language = fields.Field(
        attribute="language", column_name="Language", widget=ChoiceWidget(Language.choices), default=Language.ENGLISH
    )
    tier = fields.Field(attribute="tier", column_name="Tier", widget=ChoiceWidget(Tier.choices))
    plan = fields.Field(
        attribute="plan", column_name="Plan", widget=ChoiceWidget(Plan.choices), default=Plan.ENTERPRISE
    )
    lifecycle_stage = fields.Field(
        attribute="lifecycle_stage",
        column_name="Lifecycle stage",
        widget=ChoiceWidget(Lifecycle.choices),
        default=Lifecycle.ACTIVE,
    )
    primary_use_case = fields.Field(
        attribute="primary_use_case", column_name="Primary use case", widget=ChoiceWidget(UseCase.choices)
    )
    arr = fields.Field(attribute="arr", column_name="ARR (USD)", widget=widgets.DecimalWidget(), default=Decimal("0"))
    account_owner = fields.Field(attribute="account_owner", column_name="Account owner", widget=UserWidget())
    customer_since = fields.Field(
        attribute="customer_since", column_name="Customer since", widget=widgets.DateWidget("%Y-%m-%d")
    )
    renewal_date = fields.Field(
        attribute="renewal_date", column_name="Renewal date", widget=widgets.DateWidget("%Y-%m-%d")
    )
    health_score = fields.Field(attribute="health_score", column_name="Health score", widget=widgets.IntegerWidget())
    at_risk = fields.Field(column_name="At risk", readonly=True)

    KEY_COLUMNS = ("Domain", "CRM id")

    class Meta:
        model = Customer
        fields = [
            "name",
            "domain",
            "crm_id",
            "industry",
            "region",
            "language",
            "tier",
            "plan",
            "lifecycle_stage",
            "primary_use_case",
            "arr",
            "account_owner",
            "customer_since",
            "renewal_date",
            "health_score",
            "at_risk",
        ]
        import_id_fields = []  # matched by domain or CRM id, see get_instance
        use_transactions = True
        clean_model_instances = True
        name = "Customers"

    def get_queryset(self):
        return super().get_queryset().select_related("account_owner")

    def dehydrate_at_risk(self, customer: Customer) -> str:
        return "yes" if is_at_risk(lifecycle_stage=customer.lifecycle_stage, health_score=customer.health_score) else ""

    def before_import(self, dataset, **kwargs):
        super().before_import(dataset, **kwargs)
        if not set(self.KEY_COLUMNS) & set(dataset.headers or []):
            raise ValueError(
                "The file needs a “Domain” or a “CRM id” column: customers are matched by one of them, "
                "so importing the file again updates them instead of adding them twice."
            )

    def get_instance(self, instance_loader, row):
        domain, crm_id = row.get("Domain"), row.get("CRM id")
        if not services.normalize_domain(None if domain is None else str(domain)) and not str(crm_id or "").strip():
            raise ValidationError(
                "Give this customer a domain or a CRM id: re-imports find the account by them.", code="no_key"
            )
        return services.customer_by_key(
            domain=None if domain is None else str(domain), crm_id=None if crm_id is None else str(crm_id)
        )
