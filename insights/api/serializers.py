"""The survey answer format: one NPS or CSAT answer as a survey tool sends it, checked strictly.

Strict as the feedback ingestion is (``integrations.api.serializers``): a wrong JSON type is an error, not a
coercion (``"9"`` is not a score), an unknown key is an error, a date needs its time zone, and every error names its
field. The account is named by ``customer`` (the hub's id), ``customer_crm_id``, ``customer_domain`` or, failing
those, the domain of ``contact_email``.
"""

from __future__ import annotations

import re

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from insights.choices import SurveyKind
from integrations.api.serializers import (
    MAX_VERBATIM,
    DomainField,
    SourceDateTimeField,
    SourceIdField,
    StrictCharField,
    StrictChoiceField,
    unstorable_text,
)

SOURCE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")
JOURNEY_SOURCE = "journey"  # the hub's own journey surveys (``insights.journeys``): reserved, no other door sends it
RESERVED_SOURCE = (
    f"“{JOURNEY_SOURCE}” is reserved for the answers to the hub's journey surveys (they arrive through their own "
    "page); name your survey tool, e.g. typeform."
)
SCALES = {SurveyKind.NPS: (0, 10), SurveyKind.CSAT: (1, 5)}


def is_reserved_source(source: str) -> bool:
    """Whether ``source`` is the journey surveys' (in any case: "Journey" would read as theirs in every list)."""
    return source.strip().lower() == JOURNEY_SOURCE


@extend_schema_field({"type": "integer"})
class StrictIntegerField(serializers.IntegerField):
    """A whole number that must arrive as a JSON number (``"9"``, ``9.5`` and ``true`` are refused)."""

    def to_internal_value(self, data):
        if (
            isinstance(data, bool)
            or not isinstance(data, int | float)
            or (isinstance(data, float) and not data.is_integer())
        ):
            self.fail("invalid")
        return super().to_internal_value(int(data))


class SurveyAnswerSerializer(serializers.Serializer):
    """One answer; ``source`` + ``external_id`` identify it (sending it again updates it)."""

    kind = StrictChoiceField(SurveyKind.choices, help_text="nps (0–10) or csat (1–5).")
    score = StrictIntegerField(help_text="NPS 0–10, CSAT 1–5.")
    comment = StrictCharField(
        max_length=MAX_VERBATIM,
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        help_text="The open-text answer; it becomes a feedback item linked to the answer.",
    )
    customer = StrictIntegerField(required=False, min_value=1, help_text="The account's id in the hub.")
    customer_crm_id = StrictCharField(max_length=64, required=False, allow_blank=True)
    customer_domain = DomainField(max_length=253, required=False, allow_blank=True)
    contact_email = serializers.EmailField(max_length=254, required=False, allow_blank=True)
    survey = StrictCharField(max_length=120, required=False, allow_blank=True, help_text="Which survey asked.")
    source = StrictCharField(
        max_length=40,
        required=False,
        default="api",
        help_text="The survey tool, e.g. typeform (default: api; “journey” is the hub's own, reserved).",
    )
    external_id = SourceIdField(max_length=200, help_text="The answer's id in its source (string or integer).")
    responded_at = SourceDateTimeField(help_text="When the customer answered, with time zone (ISO 8601).")

    def to_internal_value(self, data):
        if isinstance(data, dict):
            errors = {key: ["Unknown field."] for key in data if key not in self.fields}
            if bad := unstorable_text(data):
                errors.setdefault(bad[0] or "non_field_errors", []).append(bad[1])
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)

    def validate_source(self, value: str) -> str:
        if not SOURCE_PATTERN.match(value):
            raise serializers.ValidationError("Letters, digits and _ . : - only, e.g. typeform.")
        if is_reserved_source(value):
            raise serializers.ValidationError(RESERVED_SOURCE)
        return value

    def validate_customer_crm_id(self, value: str) -> str:
        return value.strip()

    def validate(self, attrs):
        low, high = SCALES[SurveyKind(attrs["kind"])]
        if not low <= attrs["score"] <= high:
            label = SurveyKind(attrs["kind"]).label
            raise serializers.ValidationError(
                {"score": [f"{label}: the score is from {low} to {high}, not {attrs['score']}."]}
            )
        if not any(attrs.get(name) for name in ("customer", "customer_crm_id", "customer_domain", "contact_email")):
            raise serializers.ValidationError(
                {"customer": ["Name the account: customer (id), customer_crm_id, customer_domain or contact_email."]}
            )
        return attrs


class AnswerResultSerializer(serializers.Serializer):
    """One line of the reply: what became of the answer at ``index`` (the API's documentation of it)."""

    index = serializers.IntegerField()
    status = serializers.ChoiceField(["created", "updated", "rejected"])
    source = serializers.CharField()
    external_id = serializers.CharField()
    id = serializers.IntegerField(required=False, help_text="The survey response (created or updated).")
    customer = serializers.IntegerField(required=False)
    feedback = serializers.IntegerField(
        required=False, allow_null=True, help_text="The feedback item its comment became (null: no comment)."
    )
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()), required=False)
    reason = serializers.CharField(required=False, help_text="The errors in one line (rejected answers).")


class SurveyReplySerializer(serializers.Serializer):
    """The reply to a request: counts, then a line per answer in the order sent."""

    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    rejected = serializers.IntegerField()
    items = AnswerResultSerializer(many=True)
