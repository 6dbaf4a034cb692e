"""`manage.py import_airtable`: the Airtable base of seed 001 (its Themes, Customers and Feedback tables, as CSV).

    manage.py import_airtable --themes Themes.csv --customers Customers.csv --feedback Feedback.csv [--dry-run]

All or nothing: every row of every file is checked in one transaction, and one bad row, reported with its file and
line, rolls everything back. Re-running with the same files updates what the first run created and adds nothing
twice: themes are matched by name, customers by domain or CRM id (if the table has them) else by company name,
feedback by its Source and Feedback ID. Rows go through the same resources, and so the same services, as the
admin's imports (``feedback.resources``).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import date, timedelta
from pathlib import Path

import tablib
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from import_export import fields, widgets
from tqdm import tqdm

from customers import services as customer_services
from customers.models import Customer
from customers.resources import CustomerResource, UserWidget
from feedback.choices import Category, Product, Source, Status
from feedback.resources import (
    CustomerWidget,
    DateTimeWidget,
    FeedbackResource,
    ThemesWidget,
    choice_field,
    one_customer_named,
    split_names,
)
from feedbackhub.sheets import ChoiceWidget, HubResource
from themes import services as theme_services
from themes.models import Theme

# The Airtable base of seed 001 ("Recommended Base Structure"): its three tables exported as CSV. Column names are
# the tables' field names, lower-cased, without a trailing "(…)" note: "Tier (ARR band)" is read as "tier".


class AirtableRows:
    """Shared by the Airtable resources: one progress tick per row."""

    def after_import_row(self, row, row_result, **kwargs):
        super().after_import_row(row, row_result, **kwargs)
        if progress := kwargs.get("progress"):
            progress.update(1)


class DaysAgoWidget(widgets.Widget):
    """Airtable's "Days as Customer": a number of days before ``as_of`` (the day the base was exported)."""

    def __init__(self, as_of: date | None = None, **kwargs):
        super().__init__(**kwargs)
        self.as_of = as_of or date.today()

    def clean(self, value, row=None, **kwargs) -> date | None:
        text = "" if value is None else str(value).strip()
        if not text:
            return None
        try:
            days = int(float(text))
        except ValueError:
            raise ValueError(f"“{text}” is not a number of days.") from None
        if days < 0:
            raise ValueError(f"Days as customer cannot be negative ({days}).")
        return self.as_of - timedelta(days=days)


class AirtableCustomerResource(AirtableRows, CustomerResource):
    """Airtable's Customers table; a row is matched by domain or CRM id if the base has them, else by company name.

    "Days as Customer" sets the customer-since date only where none is recorded yet: the number is relative to the
    export day, so re-running the import later must not shift the date.
    """

    name = fields.Field(attribute="name", column_name="company name", widget=widgets.CharWidget())
    domain = fields.Field(attribute="domain", column_name="domain", widget=CustomerResource.fields["domain"].widget)
    crm_id = fields.Field(attribute="crm_id", column_name="crm id", widget=CustomerResource.fields["crm_id"].widget)
    industry = fields.Field(
        attribute="industry", column_name="industry", widget=CustomerResource.fields["industry"].widget
    )
    region = fields.Field(attribute="region", column_name="region", widget=CustomerResource.fields["region"].widget)
    tier = fields.Field(attribute="tier", column_name="tier", widget=CustomerResource.fields["tier"].widget)
    lifecycle_stage = fields.Field(
        attribute="lifecycle_stage",
        column_name="lifecycle stage",
        widget=CustomerResource.fields["lifecycle_stage"].widget,
        default=CustomerResource.fields["lifecycle_stage"].default,
    )
    primary_use_case = fields.Field(
        attribute="primary_use_case",
        column_name="primary use case",
        widget=CustomerResource.fields["primary_use_case"].widget,
    )
    account_owner = fields.Field(attribute="account_owner", column_name="account owner", widget=UserWidget())
    customer_since = fields.Field(attribute="customer_since", column_name="days as customer", widget=DaysAgoWidget())
    arr = fields.Field(
        attribute="arr",
        column_name="arr",
        widget=widgets.DecimalWidget(),
        default=CustomerResource.fields["arr"].default,
    )

    class Meta:
        fields = [
            "name",
            "domain",
            "crm_id",
            "industry",
            "region",
            "tier",
            "lifecycle_stage",
            "primary_use_case",
            "account_owner",
            "customer_since",
            "arr",
        ]
        skip_diff = True

    def __init__(self, *, as_of: date | None = None, **kwargs):
        super().__init__(**kwargs)
        self.fields["customer_since"].widget = DaysAgoWidget(as_of)

    def before_import(self, dataset, **kwargs):
        """Airtable's table may have no domain or CRM id: rows are then matched by company name."""

    def get_instance(self, instance_loader, row):
        domain, crm_id = row.get("domain"), row.get("crm id")
        if (domain or crm_id) and (customer := customer_services.customer_by_key(domain=domain, crm_id=crm_id)):
            return customer
        name = str(row.get("company name") or "").strip()
        if not name:
            raise ValidationError(
                {"company name": "The company name is empty: it is how feedback rows link to the customer."}
            )
        try:
            return one_customer_named(name)
        except ValueError as error:
            raise ValidationError({"company name": str(error)}) from None

    def import_field(self, field, instance, row, is_m2m=False, **kwargs):
        if field.attribute == "customer_since" and instance.customer_since is not None:
            return
        super().import_field(field, instance, row, is_m2m, **kwargs)


class AirtableThemeResource(AirtableRows, HubResource):
    """Airtable's Themes table, matched by name. Its rollup columns are ignored: FeedbackHub computes its own.

    A theme created here gets its verify-before-build checklist, as every theme does (``themes.services``).
    """

    name = fields.Field(attribute="name", column_name="theme name", widget=widgets.CharWidget())
    description = fields.Field(attribute="description", column_name="description", widget=widgets.CharWidget())
    status = fields.Field(
        attribute="status",
        column_name="status",
        widget=ChoiceWidget(Theme._meta.get_field("status").choices, blank=None),
        saves_null_values=False,
    )
    owner = fields.Field(attribute="owner", column_name="owner", widget=UserWidget())

    class Meta:
        model = Theme
        fields = ["name", "description", "status", "owner"]
        import_id_fields = []
        use_transactions = True
        clean_model_instances = True
        skip_diff = True

    def after_save_instance(self, instance, row, **kwargs):
        super().after_save_instance(instance, row, **kwargs)
        theme_services.ensure_verification_steps(theme=instance)  # a dry run rolls it back with the rest

    def get_instance(self, instance_loader, row):
        name = str(row.get("theme name") or "").strip()
        if not name:
            raise ValidationError({"theme name": "The theme name is empty: it is how feedback rows link to the theme."})
        return Theme.objects.filter(name__iexact=name).first()


class AirtableCustomerNameWidget(CustomerWidget):
    """Airtable's linked Customer cell: the company name of one customer."""

    def clean(self, value, row=None, **kwargs) -> Customer | None:
        names = split_names(value)
        if len(names) > 1:
            raise ValueError(f"A feedback item has one customer; this row links {len(names)}: {', '.join(names)}.")
        if not names:
            return None
        customer = one_customer_named(names[0])
        if customer is None:
            raise ValueError(
                f"No customer is named “{names[0]}”, in the customers file or in FeedbackHub "
                "(if its row in the customers file has an error, fix that first)."
            )
        return customer


class AirtableIdWidget(widgets.CharWidget):
    """Airtable's auto-numbered Feedback ID, kept as the source id ``airtable:<n>``."""

    def clean(self, value, row=None, **kwargs) -> str:
        text = "" if value is None else str(value).strip()
        return f"airtable:{text}" if text else ""


class AirtableFeedbackResource(AirtableRows, FeedbackResource):
    """Airtable's Feedback Items table; an item is identified by its Source and its Feedback ID."""

    source_id = fields.Field(attribute="source_id", column_name="feedback id", widget=AirtableIdWidget())
    received_at = fields.Field(attribute="received_at", column_name="date", widget=DateTimeWidget())
    source = fields.Field(
        attribute="source",
        column_name="source",
        widget=ChoiceWidget(
            Source.choices,
            aliases={"support": Source.ZENDESK, "support ticket": Source.ZENDESK, "sales call": Source.CALL},
        ),
        default=Source.MANUAL,
    )
    category = choice_field(
        "category",
        "category",
        Category.choices,
        aliases={"request": Category.FEATURE_REQUEST, "feature": "feature_request"},
    )
    verbatim = fields.Field(attribute="verbatim", column_name="verbatim", widget=widgets.CharWidget())
    summary = fields.Field(attribute="summary", column_name="summary", widget=widgets.CharWidget())
    product = choice_field(
        "product",
        "product/model",
        Product.choices,
        aliases={
            "large": Product.MISTRAL_LARGE,
            "medium": Product.MISTRAL_MEDIUM,
            "small": Product.MISTRAL_SMALL,
            "embed": Product.EMBED,
            "la plateforme": Product.API,
        },
    )
    customer = fields.Field(attribute="customer", column_name="customer", widget=AirtableCustomerNameWidget())
    themes = fields.Field(attribute="themes", column_name="theme", widget=ThemesWidget())
    status = fields.Field(
        attribute="status",
        column_name="status",
        widget=ChoiceWidget(Status.choices, blank=None),
        saves_null_values=False,
    )

    class Meta:
        fields = [
            "source_id",
            "received_at",
            "source",
            "category",
            "verbatim",
            "summary",
            "product",
            "customer",
            "themes",
            "status",
        ]
        import_id_fields = ["source_id"]
        skip_diff = True


# The command


@dataclass(frozen=True)
class Table:
    """One table of the base: its resource, the columns it cannot do without, the columns read but not used."""

    name: str
    resource: type
    required: tuple[str, ...]
    ignored: tuple[str, ...] = ()


# In import order: feedback links to themes and customers.
TABLES = (
    Table(
        "themes",
        AirtableThemeResource,
        required=("theme name",),
        ignored=("feedback count", "unique customers", "total arr impacted"),  # FeedbackHub computes its own rollups
    ),
    Table("customers", AirtableCustomerResource, required=("company name", "industry", "region", "tier")),
    Table("feedback", AirtableFeedbackResource, required=("feedback id", "date", "verbatim")),
)


def column_key(header: str) -> str:
    """How a column is known: lower case, single spaces, no trailing note ("Tier (ARR band)" → "tier")."""
    text = re.sub(r"\s*\([^)]*\)\s*$", "", header.replace("\ufeff", "").strip())
    return " ".join(text.lower().split())


@dataclass
class Sheet:
    """A table's CSV file read into a dataset, with the file line each row starts on."""

    path: Path
    dataset: tablib.Dataset
    lines: list[int] = dataclass_field(default_factory=list)
    headers: dict[str, str] = dataclass_field(default_factory=dict)  # column key → header as written in the file


def read_sheet(path: Path, table: Table) -> Sheet:
    """Read ``path`` as ``table``'s CSV export; CommandError if it cannot be read or lacks a required column."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as file:
            reader = csv.reader(file)
            header = next(reader, None)
            if not header:
                raise CommandError(f"{path.name}: the file is empty (no header line).")
            keys = [column_key(text) for text in header]
            duplicated = sorted({key for key in keys if keys.count(key) > 1})
            if duplicated:
                raise CommandError(f"{path.name}: columns appear twice: {', '.join(duplicated)}.")
            missing = [key for key in table.required if key not in keys]
            if missing:
                raise CommandError(
                    f"{path.name}: the {table.name} table needs the column(s) {', '.join(missing)} "
                    f"(found: {', '.join(header)})."
                )
            sheet = Sheet(path=path, dataset=tablib.Dataset(headers=keys), headers=dict(zip(keys, header, strict=True)))
            end = reader.line_num
            for record in reader:
                start, end = end + 1, reader.line_num
                if not any(cell.strip() for cell in record):
                    continue
                if len(record) > len(keys):
                    raise CommandError(f"{path.name}:{start}: {len(record)} cells for {len(keys)} columns.")
                sheet.dataset.append(record + [""] * (len(keys) - len(record)))
                sheet.lines.append(start)
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise CommandError(f"{path.name}: cannot read it as a UTF-8 CSV file ({error}).") from error
    return sheet


def row_problems(result, sheet: Sheet, resource) -> list[str]:
    """Every error of an import result, as ``file:line: column: message``."""
    name = sheet.path.name
    columns = {f.attribute: f.column_name for f in resource.fields.values()}
    problems = [f"{name}: {error.error}" for error in result.base_errors]
    for row in result.invalid_rows:
        line = sheet.lines[row.number - 1]
        for key, messages in row.error_dict.items():  # keyed by column, or by model field for full_clean's own
            column = columns.get(key, key)
            where = "" if key == NON_FIELD_ERRORS else f"{sheet.headers.get(column, column)}: "
            problems += [f"{name}:{line}: {where}{message}" for message in messages]
    for row in result.error_rows:
        line = sheet.lines[row.number - 1]
        problems += [f"{name}:{line}: {type(error.error).__name__}: {error.error}" for error in row.errors]
    return problems


class Command(BaseCommand):
    help = (
        "Import an Airtable base laid out as seed 001 recommends (Themes, Customers, Feedback Items tables exported "
        "as CSV): all or nothing, idempotent, errors named by file and line."
    )

    def add_arguments(self, parser):
        parser.add_argument("--themes", type=Path, help="CSV export of the Themes table.")
        parser.add_argument("--customers", type=Path, help="CSV export of the Customers table.")
        parser.add_argument("--feedback", type=Path, help="CSV export of the Feedback Items table.")
        parser.add_argument("--dry-run", action="store_true", help="Check every row, then write nothing.")
        parser.add_argument(
            "--as-of",
            type=date.fromisoformat,
            default=None,
            help="Day the base was exported (YYYY-MM-DD, default today): “Days as Customer” counts back from it.",
        )

    def handle(self, *args, dry_run: bool, as_of: date | None, verbosity: int, **options):
        chosen = [(table, Path(options[table.name])) for table in TABLES if options[table.name]]
        if not chosen:
            raise CommandError("Give at least one of --themes, --customers, --feedback.")
        sheets = [(table, read_sheet(path, table)) for table, path in chosen]
        for table, sheet in sheets:
            unused = [sheet.headers[key] for key in sheet.dataset.headers if not self._reads(table, key)]
            if unused and verbosity > 1:
                self.stdout.write(f"{sheet.path.name}: not imported: {', '.join(unused)}")

        problems, totals = [], []
        with transaction.atomic():
            for table, sheet in sheets:
                resource = (
                    table.resource(as_of=as_of) if table.resource is AirtableCustomerResource else table.resource()
                )
                with tqdm(
                    total=len(sheet.dataset),
                    desc=f"{table.name} ({sheet.path.name})",
                    unit="row",
                    file=self.stderr._out,
                    disable=verbosity == 0,
                ) as progress:
                    result = resource.import_data(
                        sheet.dataset,
                        dry_run=False,  # the outer transaction decides; later tables must see earlier rows
                        use_transactions=True,
                        rollback_on_validation_errors=False,
                        progress=progress,
                    )
                problems += row_problems(result, sheet, resource)
                totals.append((table.name, result.totals["new"], result.totals["update"]))
            if problems or dry_run:
                transaction.set_rollback(True)

        if problems:
            raise CommandError(f"{len(problems)} problem(s), nothing was written:\n" + "\n".join(problems))
        verb = ("would create", "would update") if dry_run else ("created", "updated")
        for name, created, updated in totals:
            self.stdout.write(f"{name}: {verb[0]} {created}, {verb[1]} {updated}")
        if dry_run:
            self.stdout.write("Dry run: every row is valid; nothing was written.")
        else:
            self.stdout.write(self.style.SUCCESS("Imported."))

    @staticmethod
    def _reads(table: Table, key: str) -> bool:
        return key in table.ignored or any(f.column_name == key for f in table.resource.fields.values())
