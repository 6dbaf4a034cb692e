"""The product event format: one event as a product sends it to ``POST /api/events/``, checked strictly.

Strict as the feedback ingestion and the survey answers are (``integrations.api.serializers``): a wrong JSON type is
an error, not a coercion, an unknown key is an error, the time needs its zone, and every error names its field. The
account is named by ``customer`` (the hub's id), ``customer_crm_id`` or ``customer_domain``.

Its own module (not ``insights.api.serializers``) because the intake service (``insights.events``) validates with it
and the view imports that service: the format sits below both.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from insights.api.serializers import StrictIntegerField
from insights.choices import ProductEventName
from insights.models import PRODUCT_EVENT_MAX_PROPERTIES, PRODUCT_EVENT_NAME_PATTERN
from integrations.api.serializers import (
    DomainField,
    SourceDateTimeField,
    SourceIdField,
    StrictCharField,
    unstorable_text,
)

NAME = re.compile(PRODUCT_EVENT_NAME_PATTERN)
PERSONA = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
FUTURE_SKEW = timedelta(minutes=5)  # a product's clock may run a little ahead; an event later than that is a bug
OUTCOMES = ["created", "duplicate", "rejected"]
ACCOUNT_FIELDS = ("customer", "customer_crm_id", "customer_domain")


class OccurredAtField(SourceDateTimeField):
    """When it happened: ISO 8601 with a time zone, at most a few minutes ahead of the hub's clock."""

    default_error_messages = {
        **SourceDateTimeField.default_error_messages,
        "future": "Is in the future ({value}): occurred_at is when it happened (the hub allows 5 minutes of skew).",
    }

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if value > timezone.now() + FUTURE_SKEW:
            self.fail("future", value=data)
        return value


def stored_length(value) -> int:
    """The length of ``value`` as PostgreSQL's jsonb prints it, which its check constraint measures.

    jsonb prints numbers in plain notation (``1e300`` becomes 301 digits), so floats are measured that way; the
    separators (", " and ": ") and escapes are the same as Python's ``json.dumps``.
    """
    floats = 0

    def plain(node):
        nonlocal floats
        if isinstance(node, dict):
            return {key: plain(child) for key, child in node.items()}
        if isinstance(node, list):
            return [plain(child) for child in node]
        if isinstance(node, float):
            floats += 1
            return format(Decimal(repr(node)), "f")
        return node

    return len(json.dumps(plain(value), ensure_ascii=False)) - 2 * floats  # a float counted as a string: 2 quotes


@extend_schema_field(OpenApiTypes.OBJECT)
class PropertiesField(serializers.Field):
    """The event's context: a JSON object of at most 8,192 characters (as stored)."""

    default_error_messages = {
        "invalid": "Must be a JSON object (the event's context).",
        "size": "Is {size:,} characters as stored; at most {limit:,}: send context, not a payload.",
    }

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            self.fail("invalid")
        if (size := stored_length(data)) > PRODUCT_EVENT_MAX_PROPERTIES:
            self.fail("size", size=size, limit=PRODUCT_EVENT_MAX_PROPERTIES)
        return data

    def to_representation(self, value):
        return value


class ProductEventSerializer(serializers.Serializer):
    """One product event; ``event_id`` identifies it (sending it again is a duplicate, stored once)."""

    event_id = SourceIdField(max_length=200, help_text="The event's id in the product (string or integer): the key.")
    name = StrictCharField(
        max_length=100,
        help_text=(
            f"{', '.join(ProductEventName.values)} or any custom name: a lower-case slug (letters, digits, _ - .)."
        ),
    )
    customer = StrictIntegerField(required=False, min_value=1, help_text="The account's id in the hub.")
    customer_crm_id = StrictCharField(max_length=64, required=False, allow_blank=True)
    customer_domain = DomainField(max_length=253, required=False, allow_blank=True)
    contact = StrictCharField(
        max_length=254, required=False, allow_blank=True, help_text="The person: e-mail or the product's user id."
    )
    persona = StrictCharField(
        max_length=64, required=False, allow_blank=True, help_text="The persona segment: a lower-case slug."
    )
    occurred_at = OccurredAtField(help_text="When it happened, with time zone (ISO 8601); at most 5 minutes ahead.")
    properties = PropertiesField(required=False, default=dict)

    def to_internal_value(self, data):
        if isinstance(data, dict):
            errors = {key: ["Unknown field."] for key in data if key not in self.fields}
            if bad := unstorable_text(data):
                errors.setdefault(bad[0] or "non_field_errors", []).append(bad[1])
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)

    def validate_event_id(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError("May not be blank.")
        return value

    def validate_name(self, value: str) -> str:
        if not NAME.match(value):
            raise serializers.ValidationError(
                f"“{value}” is not a lower-case slug: letters a–z, digits, _ - . (e.g. report_sent)."
            )
        return value

    def validate_persona(self, value: str) -> str:
        if value and not PERSONA.match(value):
            raise serializers.ValidationError(f"“{value}” is not a segment slug: a–z, digits, _ - (e.g. analyst).")
        return value

    def validate_customer_crm_id(self, value: str) -> str:
        return value.strip()

    def validate(self, attrs):
        if not any(attrs.get(name) for name in ACCOUNT_FIELDS):
            raise serializers.ValidationError(
                {"customer": ["Name the account: customer (id), customer_crm_id or customer_domain."]}
            )
        return attrs


@extend_schema_field({"type": "string", "enum": OUTCOMES})
class OutcomeField(serializers.CharField):
    """created, duplicate or rejected (its own enum: OutcomeEnum is the ingestion's created/updated/rejected)."""


class EventResultSerializer(serializers.Serializer):
    """One line of the reply: what became of the event at ``index`` (the API's documentation of it)."""

    index = serializers.IntegerField()
    status = OutcomeField()
    event_id = serializers.CharField()
    id = serializers.IntegerField(required=False, help_text="The stored event (created, or the one it duplicates).")
    customer = serializers.IntegerField(required=False)
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()), required=False)
    reason = serializers.CharField(required=False, help_text="The errors in one line (rejected events).")


class EventReplySerializer(serializers.Serializer):
    """The reply to a request: counts, then a line per event in the order sent."""

    created = serializers.IntegerField()
    duplicate = serializers.IntegerField()
    rejected = serializers.IntegerField()
    items = EventResultSerializer(many=True)
