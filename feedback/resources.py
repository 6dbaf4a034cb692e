"""Spreadsheet import and export of feedback (admin CSV/XLSX; the Airtable import builds on it).

An imported row changes feedback through ``feedback.services``, like every other door:

- a row is matched by its natural key (source, source id), so importing a file again updates its items;
- an existing item moves status only as the workflow allows: ``check_status_change`` at validation (the dry run
  shows the refusal as that row's error), ``change_status`` on save; a blank status keeps the item where it is;
- a new item takes the file's status (New when blank): an import records where an item already is (a backfill from
  another tool), it moves nothing. Only users who may change feedback (product ops) may import new items in another
  status than New; others (Sales / CS may only add) get a row error;
- duplicate links go through ``duplicate_root`` (checked) and ``mark_duplicate`` (chains stay one level deep),
  the customer through ``assign_customer``, themes through ``set_themes`` (theme rollups go stale);
- the sentiment label follows the score (``apply_sentiment``).
"""

from __future__ import annotations

import csv
import operator
from datetime import date, datetime
from functools import reduce

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from import_export import fields, widgets

from customers import services as customer_services
from customers.models import Customer
from feedback import services
from feedback.choices import Category, Priority, Product, ProductArea, Severity, Source, Status
from feedback.models import FeedbackItem
from feedbackhub.sheets import ChoiceWidget, HubResource

Theme = FeedbackItem.themes.field.related_model  # reached through our relation: feedback does not import themes

# Accepted besides ISO 8601 (``2026-03-14``, ``2026-03-14 09:30``, ``2026-03-14T09:30:00+01:00``): US dates as
# Airtable and Excel write them.
DATETIME_FORMATS = ("%m/%d/%Y %I:%M%p", "%m/%d/%Y %I:%M %p", "%m/%d/%Y %H:%M", "%m/%d/%Y")


def split_names(value) -> list[str]:
    """The names of a comma-separated cell; a name holding a comma is double-quoted (as Airtable writes them)."""
    text = "" if value is None else str(value).strip()
    if not text:
        return []
    names = next(csv.reader([text], skipinitialspace=True))
    return list(dict.fromkeys(name.strip() for name in names if name.strip()))


def join_names(names) -> str:
    """The inverse of ``split_names``."""
    return ", ".join(_quoted(name) if "," in name or '"' in name else name for name in names)


def _quoted(name: str) -> str:
    doubled = name.replace('"', '""')
    return f'"{doubled}"'


class DateTimeWidget(widgets.DateTimeWidget):
    """A moment: ISO 8601 or a US date, with or without time; naive values are in the hub's time zone."""

    def clean(self, value, row=None, **kwargs) -> datetime | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, datetime):
            moment = value
        elif isinstance(value, date):
            moment = datetime.combine(value, datetime.min.time())
        else:
            moment = _parse_moment(str(value).strip())
        if settings.USE_TZ and timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        return moment


def _parse_moment(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    for pattern in DATETIME_FORMATS:
        try:
            return datetime.strptime(text, pattern)
        except ValueError:
            continue
    raise ValueError(f"“{text}” is not a date: write it as 2026-03-14, 2026-03-14 09:30 or 3/14/2026.")


class SentimentWidget(widgets.FloatWidget):
    """A sentiment score, -1 (very negative) to 1 (very positive)."""

    def clean(self, value, row=None, **kwargs) -> float | None:
        try:
            score = super().clean(value, row, **kwargs)
        except (TypeError, ValueError):
            raise ValueError(f"“{value}” is not a number: a sentiment score is between -1 and 1.") from None
        if score is not None and not -1 <= score <= 1:
            raise ValueError(f"A sentiment score is between -1 and 1, not {score}.")
        return score


class TagsWidget(widgets.Widget):
    """Tags as one comma-separated cell."""

    def clean(self, value, row=None, **kwargs) -> list[str]:
        return split_names(value)

    def render(self, value, obj=None, **kwargs) -> str:
        return ", ".join(value or [])


class CustomerWidget(widgets.Widget):
    """The customer of an item: its CRM id, domain or (unique) company name; exported as the first it has."""

    def clean(self, value, row=None, **kwargs) -> Customer | None:
        text = "" if value is None else str(value).strip()
        if not text:
            return None
        customer = customer_services.customer_by_key(crm_id=text) or customer_services.customer_by_key(domain=text)
        if customer is None:
            customer = one_customer_named(text)
        if customer is None:
            raise ValueError(f"No customer has the CRM id, domain or name “{text}”.")
        return customer

    def render(self, value, obj=None, **kwargs) -> str:
        return "" if value is None else value.crm_id or value.domain or value.name


def one_customer_named(name: str) -> Customer | None:
    matches = list(customer_services.customers_named(name=name)[:2])
    if len(matches) > 1:
        raise ValueError(f"Several customers are named “{name}”: give its domain or CRM id instead.")
    return matches[0] if matches else None


class ThemesWidget(widgets.Widget):
    """The themes of an item by name, comma-separated; every name must be an existing theme."""

    def clean(self, value, row=None, **kwargs) -> list:
        names = split_names(value)
        if not names:
            return []
        matching = reduce(operator.or_, (Q(name__iexact=name) for name in names))
        found = {theme.name.lower(): theme for theme in Theme.objects.filter(matching)}
        missing = [name for name in names if name.lower() not in found]
        if missing:
            listed = ", ".join(f"“{name}”" for name in missing)
            raise ValueError(f"No theme is called {listed}: create the theme first, then link feedback to it.")
        return [found[name.lower()] for name in names]

    def render(self, value, obj=None, **kwargs) -> str:
        if value is None:
            return ""
        return join_names(theme.name for theme in value.all())


class DuplicateOfWidget(widgets.Widget):
    """The original of a duplicate, written ``source:source id`` (e.g. ``zendesk:ZD-1042``)."""

    sources = ChoiceWidget(Source.choices)

    def clean(self, value, row=None, **kwargs) -> FeedbackItem | None:
        text = "" if value is None else str(value).strip()
        if not text:
            return None
        source, _, source_id = text.partition(":")
        original = FeedbackItem.objects.filter(source=self.sources.clean(source), source_id=source_id.strip()).first()
        if original is None:
            raise ValueError(
                f"No feedback item is “{text}”: write the original as source:source id, e.g. zendesk:1042."
            )
        return original

    def render(self, value, obj=None, **kwargs) -> str:
        return "" if value is None else f"{value.source}:{value.source_id}"


def choice_field(attribute: str, column: str, choices, **options) -> fields.Field:
    return fields.Field(attribute=attribute, column_name=column, widget=ChoiceWidget(choices, **options))


class FeedbackResource(HubResource):
    """Feedback items, matched by (source, source id); status, duplicates, customer and themes via the services."""

    source = choice_field("source", "Source", Source.choices)
    source_id = fields.Field(attribute="source_id", column_name="Source id", widget=widgets.CharWidget())
    received_at = fields.Field(attribute="received_at", column_name="Received at", widget=DateTimeWidget())
    customer = fields.Field(attribute="customer", column_name="Customer", widget=CustomerWidget())
    customer_name = fields.Field(column_name="Customer name", readonly=True)
    verbatim = fields.Field(attribute="verbatim", column_name="Verbatim", widget=widgets.CharWidget())
    summary = fields.Field(attribute="summary", column_name="Summary", widget=widgets.CharWidget())
    category = choice_field("category", "Category", Category.choices)
    product = choice_field("product", "Product", Product.choices)
    product_area = choice_field("product_area", "Product area", ProductArea.choices)
    severity = choice_field("severity", "Severity", Severity.choices)
    priority = choice_field("priority", "Priority", Priority.choices)
    sentiment_score = fields.Field(attribute="sentiment_score", column_name="Sentiment score", widget=SentimentWidget())
    sentiment_label = fields.Field(column_name="Sentiment", readonly=True)
    tags = fields.Field(attribute="tags", column_name="Tags", widget=TagsWidget())
    status = fields.Field(
        attribute="status",
        column_name="Status",
        widget=ChoiceWidget(Status.choices, blank=None),
        saves_null_values=False,  # a blank status keeps the item's (a new item's is New)
    )
    themes = fields.Field(attribute="themes", column_name="Themes", widget=ThemesWidget())
    duplicate_of = fields.Field(attribute="duplicate_of", column_name="Duplicate of", widget=DuplicateOfWidget())
    reporter_email = fields.Field(
        attribute="reporter_email", column_name="Reporter e-mail", widget=widgets.CharWidget()
    )
    source_url = fields.Field(attribute="source_url", column_name="Source URL", widget=widgets.CharWidget())

    class Meta:
        model = FeedbackItem
        fields = [
            "source",
            "source_id",
            "received_at",
            "customer",
            "customer_name",
            "verbatim",
            "summary",
            "category",
            "product",
            "product_area",
            "severity",
            "priority",
            "sentiment_score",
            "sentiment_label",
            "tags",
            "status",
            "themes",
            "duplicate_of",
            "reporter_email",
            "source_url",
        ]
        import_id_fields = ["source", "source_id"]
        use_transactions = True
        clean_model_instances = True
        name = "Feedback"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.user = None

    # Export

    def get_queryset(self):
        return super().get_queryset().defer("raw_payload")

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("customer", "duplicate_of").prefetch_related("themes")

    def dehydrate_customer_name(self, item: FeedbackItem) -> str:
        return item.customer.name if item.customer_id else ""

    def dehydrate_sentiment_label(self, item: FeedbackItem) -> str:
        return item.get_sentiment_label_display()

    # Import

    def before_import(self, dataset, **kwargs):
        super().before_import(dataset, **kwargs)
        self.user = kwargs.get("user")

    def get_instance(self, instance_loader, row):
        key = {}
        for name in ("source", "source_id"):
            field = self.fields[name]
            try:
                key[name] = field.clean(row if field.column_name in row else {field.column_name: None})
            except ValueError as error:
                raise ValidationError({field.column_name: str(error)}) from None
        if not key["source"] or not key["source_id"]:
            columns = " and ".join(f"“{self.fields[name].column_name}”" for name in key)
            raise ValidationError(f"Fill in {columns}: they identify the item, so a re-import updates it.")
        return FeedbackItem.objects.filter(source=key["source"], source_id=str(key["source_id"]).strip()).first()

    def after_init_instance(self, instance, new, row, **kwargs):
        super().after_init_instance(instance, new, row, **kwargs)
        # What the services compare against: the item as saved before this row.
        instance._import_saved = None if new else (instance.status, instance.customer_id, instance.duplicate_of_id)

    def import_field(self, field, instance, row, is_m2m=False, **kwargs):
        if field.attribute == "themes":  # linked after the save, through set_themes
            if field.column_name in row:
                instance._import_themes = field.clean(row)
            return
        super().import_field(field, instance, row, is_m2m, **kwargs)

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        saved = getattr(instance, "_import_saved", None)
        if "status" not in errors:
            try:
                self._check_status(instance, saved)
            except ValidationError as error:
                errors["status"] = error.error_list
        original = instance.duplicate_of if instance.duplicate_of_id else None
        if original is not None and "duplicate_of" not in errors and (saved is None or original.pk != saved[2]):
            try:
                services.duplicate_root(item=instance, original=original)
            except ValidationError as error:
                errors["duplicate_of"] = error.error_list
        super().validate_instance(instance, errors, validate_unique)

    def _check_status(self, instance: FeedbackItem, saved) -> None:
        if saved is not None:
            services.check_status_change(item=FeedbackItem(pk=instance.pk, status=saved[0]), status=instance.status)
        elif instance.status != Status.NEW and self.user and not self.user.has_perm("feedback.change_feedbackitem"):
            raise ValidationError(
                f"A new item starts as New: only users who may change feedback can import it as "
                f"{Status(instance.status).label}.",
                code="status_transition",
            )

    def do_instance_save(self, instance: FeedbackItem, is_create: bool) -> None:
        """Saved through ``services.save_feedback``: status, duplicate link and customer follow the rules."""
        services.save_feedback(item=instance, created=is_create, user=self.user)

    def save_m2m(self, instance, row, **kwargs):
        super().save_m2m(instance, row, **kwargs)
        themes = getattr(instance, "_import_themes", None)
        if themes is not None:
            services.set_themes(item=instance, themes=themes)
