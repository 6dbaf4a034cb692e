"""Feedback API serializers: every write goes through ``feedback.services``, as the admin's forms do.

The status follows the workflow (a refused move is a 400 naming the allowed ones), a duplicate link stays one level
deep, themes are linked through ``set_themes`` (their rollups go stale), the sentiment label follows the score, and
what the customer said and where it came from cannot change once recorded: it is the evidence.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from customers.models import Customer
from customers.selectors import visible_to
from feedback import services
from feedback.choices import Sentiment, Status, TimeMaturity, UsageMaturity
from feedback.models import FeedbackItem, TriageRecord
from feedbackhub.api import HubModelSerializer, scoped_queryset

# Read-only once recorded (the admin's SOURCE_FIELDS): sending the same value back is fine, a change is a 400.
EVIDENCE_FIELDS = ["verbatim", "source", "source_id", "source_url", "received_at", "raw_payload", "reporter_email"]
# Feedback maturity at capture (issue 13): stamped by the hub from customer and usage data, never set by a client.
MATURITY_FIELDS = ["tenure_days", "time_maturity", "feature_uses", "usage_maturity"]
LIST_FIELDS = [
    "id",
    "received_at",
    "source",
    "source_id",
    "source_url",
    "verbatim",
    "summary",
    "reporter_email",
    "customer",
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
    "triaged_at",
    "language",
    "churn_signal",
    "competitors",
    "jtbd",
    "feature",
    *MATURITY_FIELDS,
    "human_fields",
    "created_at",
    "updated_at",
]
TRIAGE_RECORD_FIELDS = [
    "outcome",
    "provider",
    "model",
    "version",
    "confidence",
    "category",
    "sentiment_score",
    "sentiment_label",
    "severity",
    "priority",
    "priority_reason",
    "product",
    "product_area",
    "tags",
    "language",
    "churn_signal",
    "competitors",
    "jtbd",
    "applied_fields",
    "notes",
    "created_at",
]


class TriageRecordSerializer(serializers.ModelSerializer):
    """What the AI triage concluded about an item (read-only; ``applied_fields`` were written on the item)."""

    class Meta:
        model = TriageRecord
        fields = TRIAGE_RECORD_FIELDS
        read_only_fields = TRIAGE_RECORD_FIELDS


class FeedbackItemSerializer(HubModelSerializer):
    """A feedback item in full (with the payload its source sent)."""

    sentiment_label = serializers.ChoiceField(  # read-only, and blank until scored (the schema says both)
        choices=Sentiment.choices, allow_blank=True, read_only=True, help_text="Follows sentiment_score."
    )

    time_maturity = serializers.ChoiceField(  # stamped at capture; blank when the customer's start is unknown
        choices=TimeMaturity.choices, allow_blank=True, read_only=True, help_text="From tenure_days."
    )
    usage_maturity = serializers.ChoiceField(  # blank when no use of the feature is recorded
        choices=UsageMaturity.choices, allow_blank=True, read_only=True, help_text="From feature_uses."
    )

    triage = serializers.SerializerMethodField(help_text="The latest AI triage of the item (null: not triaged).")

    class Meta:
        model = FeedbackItem
        fields = [*LIST_FIELDS, "raw_payload", "triage"]
        read_only_fields = ["triaged_at", "human_fields", "created_at", "updated_at", *MATURITY_FIELDS]
        extra_kwargs = {
            "sentiment_score": {"min_value": -1, "max_value": 1},
            "status": {"help_text": "New items start as new; then the workflow's moves (feedback.choices)."},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is None:
            return
        if "customer" in self.fields:
            scoped_queryset(self.fields["customer"], visible_to(Customer.objects.all(), request.user))
        if "duplicate_of" in self.fields:
            items = visible_to(FeedbackItem.objects.all(), request.user, prefix="customer__")
            scoped_queryset(self.fields["duplicate_of"], items)

    def validate_status(self, value: str) -> str:
        if self.instance is None:
            if value != Status.NEW:
                raise serializers.ValidationError(
                    f"A new item starts as {Status.NEW.label}; move it on through the workflow afterwards."
                )
            return value
        try:
            services.check_status_change(item=self.instance, status=value)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from error
        return value

    def validate(self, attrs):
        attrs = super().validate(attrs)
        item = self.instance
        if item is None:
            return attrs
        changed = [name for name in EVIDENCE_FIELDS if name in attrs and attrs[name] != getattr(item, name)]
        if changed:
            raise serializers.ValidationError(
                {name: ["Cannot change once recorded: it is the customer's evidence."] for name in changed}
            )
        original = attrs.get("duplicate_of")
        if original is not None and original.pk != item.duplicate_of_id:
            try:
                services.duplicate_root(item=item, original=original)
            except DjangoValidationError as error:
                raise serializers.ValidationError({"duplicate_of": error.messages}) from error
        return attrs

    def create(self, validated_data):
        themes = validated_data.pop("themes", None)
        item = services.save_feedback(item=FeedbackItem(**validated_data), created=True, user=self._user())
        if themes:
            services.set_themes(item=item, themes=themes)
        return item

    def update(self, instance, validated_data):
        themes = validated_data.pop("themes", None)
        for name, value in validated_data.items():
            setattr(instance, name, value)
        services.save_feedback(item=instance, created=False, user=self._user())
        if themes is not None:
            services.set_themes(item=instance, themes=themes)
        return instance

    @extend_schema_field(TriageRecordSerializer(allow_null=True))
    def get_triage(self, item: FeedbackItem):
        record = item.triage_records.order_by("-created_at", "-id").first() if item.pk else None
        return TriageRecordSerializer(record).data if record is not None else None

    def _user(self):
        request = self.context.get("request")
        return getattr(request, "user", None)


class FeedbackItemListSerializer(FeedbackItemSerializer):
    """A feedback item in a list: without the source's raw payload and triage record (read one item for them)."""

    triage = None

    class Meta(FeedbackItemSerializer.Meta):
        fields = LIST_FIELDS
