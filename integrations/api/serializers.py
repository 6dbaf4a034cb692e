"""The ingestion format: seed 002's unified feedback item, as the hub names its fields, checked strictly.

Strict means a wrong JSON type is an error, not a coercion (``"0.5"`` is not a number, ``1`` is not a text), an
unknown key is an error (a typo must not lose data silently), a date needs its time zone, and every error names
its field. Seed 002's names map as: ``title`` → ``summary``, ``description`` → ``verbatim``, ``created_at`` →
``received_at``, ``customer.id`` → ``customer_crm_id``, ``customer.email`` → ``reporter_email``; a connector
(``integrations/connectors/<source>.py``) does that mapping and puts the source's own record in ``raw_payload``.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from django.core.validators import ProhibitNullCharactersValidator
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.validators import ProhibitSurrogateCharactersValidator

from customers.services import normalize_domain
from feedback.choices import Category, Priority, Product, ProductArea, Severity, Source

MAX_VERBATIM = 100_000  # characters: a long call transcript fits, a runaway payload does not
MAX_TAGS = 50
CHECKED_FOR_THE_WHOLE_ITEM = (ProhibitNullCharactersValidator, ProhibitSurrogateCharactersValidator)
FUTURE_SLACK = timedelta(days=1)  # a source's clock may run ahead a little; a date further ahead is a bug


class StrictCharField(serializers.CharField):
    """A text that must arrive as a JSON string (DRF's CharField also takes numbers).

    Without DRF's NUL and surrogate validators: ``IngestItemSerializer`` checks every text of the item once
    (``unstorable_text``), and their character-by-character scan was a third of a batch's validation.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators = [v for v in self.validators if not isinstance(v, CHECKED_FOR_THE_WHOLE_ITEM)]

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


@extend_schema_field({"oneOf": [{"type": "string", "maxLength": 255}, {"type": "integer"}]})
class SourceIdField(serializers.CharField):
    """The item's id in its source: a string, or an integer (Zendesk's ticket ids), stored as text."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, (str, int)):
            self.fail("invalid")
        return super().to_internal_value(str(data))


class StrictChoiceField(serializers.ChoiceField):
    """One of the hub's values; the error lists them."""

    def __init__(self, choices, **kwargs):
        allowed = ", ".join(value for value, _ in choices)
        kwargs.setdefault("error_messages", {"invalid_choice": f'"{{input}}" is not one of: {allowed}.'})
        super().__init__(choices, **kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid_choice", input=data)
        return super().to_internal_value(data)


@extend_schema_field({"type": "number", "minimum": -1, "maximum": 1})
class ScoreField(serializers.Field):
    """A JSON number from -1 to 1 (the sentiment score a source may send)."""

    default_error_messages = {
        "invalid": "Must be a number from -1 to 1 (a JSON number, not a string).",
        "range": "Must be from -1 (very negative) to 1 (very positive); got {value}.",
    }

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, (int, float)) or not math.isfinite(data):
            self.fail("invalid")
        if not -1 <= data <= 1:
            self.fail("range", value=data)
        return float(data)

    def to_representation(self, value):
        return value


@extend_schema_field(OpenApiTypes.DATETIME)
class SourceDateTimeField(serializers.Field):
    """When the customer said it, as the source tells it: ISO 8601 with a time zone, not in the future."""

    default_error_messages = {
        "invalid": "Must be an ISO 8601 date and time with its time zone, e.g. 2026-01-10T14:30:00Z.",
        "date": "Not a real date and time ({error}); use e.g. 2026-01-10T14:30:00Z.",
        "naive": "Give the time zone (Z or +02:00): without it the hour is ambiguous.",
        "future": "Is in the future ({value}): received_at is when the customer said it.",
    }

    def to_internal_value(self, data):
        if isinstance(data, datetime):  # a connector's item (integrations.connectors) carries a datetime already
            value = data
        elif isinstance(data, str):
            try:
                value = parse_datetime(data.strip())
            except ValueError as error:  # well formed, impossible: 2026-02-30, 25:00
                self.fail("date", error=error)
            if value is None:
                self.fail("invalid")
        else:
            self.fail("invalid")
        if timezone.is_naive(value):
            self.fail("naive")
        if value > timezone.now() + FUTURE_SLACK:
            self.fail("future", value=data)
        return value.astimezone(UTC)

    def to_representation(self, value):
        return value.isoformat()


class DomainField(StrictCharField):
    """An e-mail domain, normalised as customers are (``https://www.Acme.com`` → ``acme.com``)."""

    default_error_messages = {"domain": "Must be a domain like acme.com."}

    def to_internal_value(self, data):
        domain = normalize_domain(super().to_internal_value(data))
        if "." not in domain or any(not part for part in domain.split(".")) or " " in domain:
            self.fail("domain")
        return domain


@extend_schema_field(OpenApiTypes.OBJECT)
class RawPayloadField(serializers.Field):
    """The source's own payload, kept as sent: a JSON object."""

    default_error_messages = {"invalid": "Must be a JSON object (the payload as the source sent it)."}

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            self.fail("invalid")
        return data

    def to_representation(self, value):
        return value


class IngestItemSerializer(serializers.Serializer):
    """One feedback item in the unified format; ``source`` + ``source_id`` identify it (re-sending updates it)."""

    source = StrictChoiceField(Source.choices, help_text="Where the item comes from.")
    source_id = SourceIdField(max_length=255, help_text="Its id in the source (string or integer).")
    received_at = SourceDateTimeField(help_text="When the customer said it, with time zone (ISO 8601).")
    verbatim = StrictCharField(max_length=MAX_VERBATIM, trim_whitespace=False, help_text="The customer's words.")
    summary = StrictCharField(max_length=300, required=False, allow_blank=True)
    source_url = serializers.URLField(max_length=500, required=False, allow_blank=True)
    reporter_email = serializers.EmailField(max_length=254, required=False, allow_blank=True)
    customer_crm_id = StrictCharField(max_length=64, required=False, allow_blank=True)
    customer_domain = DomainField(max_length=253, required=False, allow_blank=True)
    category = StrictChoiceField(Category.choices, required=False, allow_blank=True)
    product = StrictChoiceField(Product.choices, required=False, allow_blank=True)
    product_area = StrictChoiceField(ProductArea.choices, required=False, allow_blank=True)
    severity = StrictChoiceField(Severity.choices, required=False, allow_blank=True)
    priority = StrictChoiceField(Priority.choices, required=False, allow_blank=True)
    sentiment_score = ScoreField(required=False)
    tags = serializers.ListField(child=StrictCharField(max_length=50), required=False, max_length=MAX_TAGS)
    raw_payload = RawPayloadField(required=False)
    feature = StrictCharField(
        max_length=100,
        required=False,
        allow_blank=True,
        help_text="The feature it is about, as the product names it in usage data (its uses give the usage maturity).",
    )

    def to_internal_value(self, data):
        if isinstance(data, dict):
            errors = {
                key: ["Unknown field; put source-specific data in 'raw_payload'."]
                for key in data
                if key not in self.fields
            }
            if bad := unstorable_text(data):
                errors.setdefault(bad[0] or "non_field_errors", []).append(bad[1])
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)

    def validate_verbatim(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError("Must contain the customer's words, not only spaces.")
        return value

    def validate_tags(self, value: list[str]) -> list[str]:
        return list(dict.fromkeys(tag.strip() for tag in value if tag.strip()))  # no blanks, no repeats, in order

    def validate_customer_crm_id(self, value: str) -> str:
        return value.strip()


def unstorable_text(value, path: str = "") -> tuple[str, str] | None:
    """The first value PostgreSQL cannot store, as (field path, problem): a NUL, a lone surrogate, an infinity.

    JSON may escape both (``\\u0000``, ``\\ud800``); neither is valid UTF-8 text once decoded, and the database would
    refuse the whole batch on it.
    """
    stack = [(path, value)]
    while stack:
        where, current = stack.pop()
        if isinstance(current, dict):
            for key, child in current.items():
                child_path = f"{where}.{key}" if where else str(key)
                if isinstance(key, str) and (problem := _text_problem(key)):
                    return where or "non_field_errors", f"The key {key!r} {problem}."
                stack.append((child_path, child))
        elif isinstance(current, list):
            stack.extend((f"{where}[{index}]", child) for index, child in enumerate(current))
        elif isinstance(current, str) and (problem := _text_problem(current)):
            return where, f"The text {problem}."
        elif isinstance(current, float) and not math.isfinite(current):
            return where, "Is not a finite number."
    return None


def _text_problem(text: str) -> str | None:
    if "\x00" in text:
        return "contains a NUL character (\\u0000)"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "contains a lone UTF-16 surrogate (invalid Unicode)"
    return None


class IngestResultSerializer(serializers.Serializer):
    """One line of the answer: what became of the item at ``index`` (the API's documentation of it)."""

    index = serializers.IntegerField()
    status = serializers.ChoiceField(["created", "updated", "rejected"])
    source = serializers.CharField()
    source_id = serializers.CharField()
    id = serializers.IntegerField(required=False, help_text="The feedback item (created or updated).")
    customer = serializers.IntegerField(required=False, allow_null=True, help_text="Null: no account matched.")
    matched_by = serializers.ChoiceField(
        ["crm_id", "customer_domain", "reporter_email", "kept"], required=False, allow_null=True
    )
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()), required=False)
    reason = serializers.CharField(required=False, help_text="The errors in one line (rejected items).")


class IngestAnswerSerializer(serializers.Serializer):
    """The answer to an ingest request: counts, then a line per item in the order sent."""

    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    rejected = serializers.IntegerField()
    items = IngestResultSerializer(many=True)
