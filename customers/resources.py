"""Spreadsheet import and export (django-import-export) of customers and their daily usage; the shared pieces are
``feedbackhub.sheets``."""

from __future__ import annotations

import json
import re
import uuid
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone
from import_export import fields, widgets

from customers import services
from customers.choices import Industry, Language, Lifecycle, Plan, Region, Tier, UseCase
from customers.models import Customer, UsageSnapshot
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


# --- Usage snapshots --------------------------------------------------------------------------------------------


class AccountWidget(widgets.Widget):
    """The account a row is about: its CRM id, domain or (unique) company name; exported as the first it has.

    Each distinct cell is looked up once per file (a file has a row per account and day).
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.found: dict[str, Customer] = {}

    def clean(self, value, row=None, **kwargs) -> Customer | None:
        text = "" if value is None else str(value).strip()
        if not text:
            return None
        if text not in self.found:
            customer = services.customer_by_key(crm_id=text) or services.customer_by_key(domain=text)
            if customer is None:
                named = list(services.customers_named(name=text)[:2])
                if len(named) > 1:
                    raise ValueError(f"Several accounts are named “{text}”: give its domain or CRM id instead.")
                customer = named[0] if named else None
            if customer is None:
                raise ValueError(f"No account has the CRM id, domain or name “{text}”.")
            self.found[text] = customer
        return self.found[text]

    def render(self, value, obj=None, **kwargs) -> str:
        return "" if value is None else value.crm_id or value.domain or value.name


class CountWidget(widgets.IntegerWidget):
    """A count of the day (users, requests, tokens): a whole number, 0 or more; blank is 0."""

    def clean(self, value, row=None, **kwargs) -> int:
        text = "" if value is None else str(value).strip().replace(",", "").replace("\u202f", "").replace(" ", "")
        if not text:
            return 0
        try:
            number = Decimal(text)
        except ArithmeticError:
            raise ValueError(f"“{value}” is not a number.") from None
        if number != number.to_integral_value() or number < 0:
            raise ValueError(f"“{value}” is not a count: a whole number, 0 or more.")
        return int(number)


FEATURE_PAIR = re.compile(r"^\s*([^=:]+?)\s*[=:]\s*(\d+)\s*$")


class FeaturesWidget(widgets.Widget):
    """Feature name → uses that day: a JSON object (``{"embeddings": 120}``) or pairs (``embeddings=120; batch=4``)."""

    def clean(self, value, row=None, **kwargs) -> dict[str, int]:
        text = "" if value is None else str(value).strip()
        if not text:
            return {}
        if text.startswith("{"):
            try:
                data = json.loads(text)
            except ValueError:
                raise ValueError(f"“{text}” is not a JSON object of feature → uses.") from None
            pairs = list(data.items()) if isinstance(data, dict) else None
        else:
            matches = [FEATURE_PAIR.match(part) for part in re.split(r"[;,]", text) if part.strip()]
            pairs = None if not all(matches) else [(m.group(1), int(m.group(2))) for m in matches]
        bad = pairs is None or any(
            not isinstance(uses, int) or isinstance(uses, bool) or uses < 0 or not name.strip() or len(name) > 50
            for name, uses in pairs
        )
        if bad:
            raise ValueError(
                f"“{text}” is not a list of features and uses: write “embeddings=120; batch=4” or a JSON object; "
                "uses are whole numbers, names at most 50 characters."
            )
        return {name.strip(): uses for name, uses in pairs}

    def render(self, value, obj=None, **kwargs) -> str:
        return "; ".join(f"{name}={uses}" for name, uses in (value or {}).items())


class UsageSnapshotResource(HubResource):
    """Daily usage per account, matched by (account, day): importing a file again updates its days.

    After an import the usage signals of the accounts it named are refreshed, and their health score follows
    (``customers.services.usage_recorded``).
    """

    customer = fields.Field(attribute="customer", column_name="Account", widget=AccountWidget())
    customer_name = fields.Field(column_name="Company", readonly=True)
    taken_on = fields.Field(attribute="taken_on", column_name="Day", widget=widgets.DateWidget("%Y-%m-%d"))
    active_users = fields.Field(attribute="active_users", column_name="Active users", widget=CountWidget())
    api_requests = fields.Field(attribute="api_requests", column_name="API requests", widget=CountWidget())
    tokens_used = fields.Field(attribute="tokens_used", column_name="Tokens used", widget=CountWidget())
    features_used = fields.Field(attribute="features_used", column_name="Features used", widget=FeaturesWidget())

    class Meta:
        model = UsageSnapshot
        fields = [
            "customer",
            "customer_name",
            "taken_on",
            "active_users",
            "api_requests",
            "tokens_used",
            "features_used",
        ]
        import_id_fields = []  # matched by (account, day), see get_instance
        use_transactions = True
        clean_model_instances = True
        name = "Usage snapshots"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.accounts: set[int] = set()

    def get_queryset(self):
        return super().get_queryset().select_related("customer")

    def dehydrate_customer_name(self, snapshot: UsageSnapshot) -> str:
        return snapshot.customer.name

    def before_import(self, dataset, **kwargs):
        super().before_import(dataset, **kwargs)
        missing = [column for column in ("Account", "Day") if column not in (dataset.headers or [])]
        if missing:
            raise ValueError(
                f"The file needs the column(s) {', '.join(f'“{c}”' for c in missing)}: a row is one account's day "
                "(the account by CRM id, domain or company name; the day as YYYY-MM-DD)."
            )

    def get_instance(self, instance_loader, row):
        key = {}
        for name in ("customer", "taken_on"):
            field = self.fields[name]
            try:
                key[name] = field.clean(row)
            except ValueError as error:
                raise ValidationError({field.column_name: str(error)}) from None
            if key[name] is None:
                raise ValidationError({field.column_name: "Fill this in: a row is one account's day."})
        return UsageSnapshot.objects.filter(customer=key["customer"], taken_on=key["taken_on"]).first()

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        if instance.taken_on and instance.taken_on > timezone.localdate():
            errors.setdefault("Day", []).append(f"{instance.taken_on:%Y-%m-%d} has not happened yet.")
        super().validate_instance(instance, errors, validate_unique)
        if instance.customer_id:
            self.accounts.add(instance.customer_id)

    def after_import(self, dataset, result, **kwargs):
        super().after_import(dataset, result, **kwargs)
        if not kwargs.get("dry_run") and not result.has_errors() and not result.has_validation_errors():
            services.usage_recorded(customer_ids=self.accounts, batch=f"import:{uuid.uuid4().hex}")
