"""The technical sample format: one period of one product's requests, errors and latency, as a monitoring system sends
it to ``POST /api/technical-metrics/`` (and as the CSV and Prometheus imports hand it over), checked strictly.

Strict as the product events are (``insights.api.event_serializers``): a wrong JSON type is an error, not a coercion;
an unknown key is an error; times need their zone; every error names its field. The account is named by
``customer`` (the hub's id), ``customer_crm_id`` or ``customer_domain``; none of them means the sample counts all
customers of the product (an aggregate row).

Its own module because the intake service (``insights.technical``) validates with it and the view imports that
service: the format sits below both.
"""

from __future__ import annotations

import math
import re
from datetime import timedelta

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from insights.api.serializers import StrictIntegerField
from integrations.api.serializers import DomainField, SourceDateTimeField, StrictCharField, unstorable_text

PRODUCT = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
FUTURE_SKEW = timedelta(minutes=5)  # a monitoring clock may run a little ahead
MAX_PERIOD = timedelta(days=7)  # the correlation buckets weeks: a longer sample could not be placed in one
MAX_COUNT = 2**63 - 1  # PositiveBigIntegerField
MAX_LATENCY_MS = 86_400_000.0  # a day: anything slower is a unit mistake (seconds sent as ms × 1000?)
ACCOUNT_FIELDS = ("customer", "customer_crm_id", "customer_domain")
OUTCOMES = ["created", "updated", "unchanged", "rejected"]


class PeriodField(SourceDateTimeField):
    """A period boundary: ISO 8601 with its time zone, at most a few minutes ahead of the hub's clock."""

    default_error_messages = {
        **SourceDateTimeField.default_error_messages,
        "future": "Is in the future ({value}): a sample reports a period that has happened (5 minutes of skew).",
    }

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if value > timezone.now() + FUTURE_SKEW:
            self.fail("future", value=data)
        return value


@extend_schema_field(OpenApiTypes.DOUBLE)  # a number in the schema (a custom field would be read as a string)
class LatencyField(serializers.Field):
    """Milliseconds: a JSON number from 0 to 86,400,000 (a day), or null for "not measured"."""

    default_error_messages = {
        "invalid": "Must be a number of milliseconds (a JSON number, not a string).",
        "range": "Must be from 0 to 86,400,000 ms (a day); got {value}.",
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | float) or not math.isfinite(data):
            self.fail("invalid")
        if not 0 <= data <= MAX_LATENCY_MS:
            self.fail("range", value=data)
        return float(data)

    def to_representation(self, value):
        return value


class TechnicalSampleSerializer(serializers.Serializer):
    """One period of one product (for one account, or all of them); ``(account, product, period_start)`` is its key:
    sending it again replaces the stored figures (an upsert), never adds a second row."""

    customer = StrictIntegerField(required=False, min_value=1, help_text="The account's id in the hub.")
    customer_crm_id = StrictCharField(max_length=64, required=False, allow_blank=True)
    customer_domain = DomainField(max_length=253, required=False, allow_blank=True)
    product = StrictCharField(
        max_length=40, help_text="A feedback product value (mistral_large, le_chat, …) or a service name: a slug."
    )
    period_start = PeriodField(help_text="Start of the period (ISO 8601 with time zone).")
    period_end = PeriodField(help_text="End of the period, after its start, at most 7 days later.")
    requests = StrictIntegerField(min_value=0, max_value=MAX_COUNT, help_text="Requests served in the period.")
    errors = StrictIntegerField(min_value=0, max_value=MAX_COUNT, help_text="Of those, failed (≤ requests).")
    latency_p50_ms = LatencyField(help_text="Median latency in the period, ms.")
    latency_p95_ms = LatencyField(help_text="95th percentile latency in the period, ms (≥ p50).")

    def to_internal_value(self, data):
        if isinstance(data, dict):
            errors = {key: ["Unknown field."] for key in data if key not in self.fields}
            if bad := unstorable_text(data):
                errors.setdefault(bad[0] or "non_field_errors", []).append(bad[1])
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)

    def validate_product(self, value: str) -> str:
        if not PRODUCT.match(value):
            raise serializers.ValidationError(
                f"“{value}” is not a product slug: lower-case letters, digits, _ - . (e.g. mistral_large)."
            )
        return value

    def validate_customer_crm_id(self, value: str) -> str:
        return value.strip()

    def validate(self, attrs):
        errors: dict[str, list[str]] = {}
        named = [name for name in ACCOUNT_FIELDS if attrs.get(name)]
        if len(named) > 1:
            errors["customer"] = [f"Name the account once: {' and '.join(named)} were both given."]
        start, end = attrs["period_start"], attrs["period_end"]
        if end <= start:
            errors["period_end"] = [f"Must be after period_start ({start.isoformat()})."]
        elif end - start > MAX_PERIOD:
            errors["period_end"] = [f"The period is {end - start}; at most 7 days (send one sample per day or hour)."]
        if attrs["errors"] > attrs["requests"]:
            errors["errors"] = [f"{attrs['errors']:,} errors for {attrs['requests']:,} requests: at most the requests."]
        p50, p95 = attrs.get("latency_p50_ms"), attrs.get("latency_p95_ms")
        if p50 is not None and p95 is not None and p95 < p50:
            errors["latency_p95_ms"] = [f"{p95:g} ms is below the median ({p50:g} ms): a p95 is at least the p50."]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class SampleResultSerializer(serializers.Serializer):
    """One line of the reply: what became of the sample at ``index``."""

    index = serializers.IntegerField()
    status = serializers.ChoiceField(choices=OUTCOMES)
    product = serializers.CharField(required=False)
    period_start = serializers.CharField(required=False)
    id = serializers.IntegerField(required=False, help_text="The stored sample (created, updated or unchanged).")
    customer = serializers.IntegerField(required=False, allow_null=True, help_text="null: all customers.")
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()), required=False)
    reason = serializers.CharField(required=False, help_text="The errors in one line (rejected samples).")


class SampleReplySerializer(serializers.Serializer):
    """The reply: counts, then a line per sample in the order sent."""

    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    rejected = serializers.IntegerField()
    items = SampleResultSerializer(many=True)
