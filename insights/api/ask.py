"""POST /api/ask/: a question about the feedback, answered from the feedback with every claim citing its items
(``insights.ask``).

Reading, not writing, as far as the caller is concerned: a token needs the read scope (an admin user in the docs uses
their session), and the caller must be allowed to view feedback items, since the answer quotes them. Asking embeds
the question and may call Mistral, so it has a budget of its own per token or user (``AskRateThrottle``), beside the
token's general one.

A request that cannot be answered is a 400 naming the field: an empty or too long question, an unknown segment or
product value, a date that is not one, an until before the since, a theme that does not exist, an unknown field.
"""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from customers.choices import Industry, Lifecycle, Plan, Region, Tier
from feedback.choices import Product
from insights import ask as asking
from insights.ask_filters import explicit_filters
from integrations.auth import HasScope
from integrations.choices import Scope
from integrations.models import ApiToken
from integrations.throttles import TokenRateThrottle

ASK_RATE = "30/min"  # per token or user: a question embeds text and may call Mistral; REST_FRAMEWORK may set "ask"
FILTER_FIELDS = ("tier", "industry", "region", "lifecycle_stage", "plan", "community", "product", "theme", "since",
                 "until")  # fmt: skip


class MayAsk(permissions.BasePermission):
    """The caller may view feedback items: the answer quotes them."""

    message = "Asking the hub needs permission to view feedback items (the answer quotes them)."

    def has_permission(self, request, view) -> bool:
        return request.user.has_perm("feedback.view_feedbackitem")


class AskRateThrottle(TokenRateThrottle):
    """Questions per minute, per token (by its prefix) or per signed-in user; Redis down lets the request through."""

    scope = "ask"

    def get_rate(self) -> str:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope) or ASK_RATE

    def get_cache_key(self, request, view) -> str | None:
        token = request.auth
        ident = f"token-{token.prefix}" if isinstance(token, ApiToken) else f"user-{request.user.pk}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class AskSerializer(serializers.Serializer):
    """The question and, optionally, the filters (stored values); filters the question states are read from it."""

    question = serializers.CharField(max_length=asking.MAX_QUESTION_CHARS, trim_whitespace=True)
    tier = serializers.ChoiceField(choices=Tier.choices, required=False)
    industry = serializers.ChoiceField(choices=Industry.choices, required=False)
    region = serializers.ChoiceField(choices=Region.choices, required=False)
    lifecycle_stage = serializers.ChoiceField(choices=Lifecycle.choices, required=False)
    plan = serializers.ChoiceField(choices=Plan.choices, required=False)
    community = serializers.BooleanField(required=False, help_text="Only community authors (forums, Hacker News).")
    product = serializers.ChoiceField(choices=Product.choices, required=False)
    theme = serializers.IntegerField(required=False, min_value=1, help_text="A theme's id.")
    since = serializers.DateField(required=False, help_text="Received on or after (YYYY-MM-DD).")
    until = serializers.DateField(required=False, help_text="Received on or before (YYYY-MM-DD).")

    def to_internal_value(self, data):
        if isinstance(data, dict) and (unknown := sorted(set(data) - set(self.fields))):
            raise serializers.ValidationError(
                {name: [f"Unknown field; the fields are: {', '.join(self.fields)}."] for name in unknown}
            )
        return super().to_internal_value(data)

    def validate(self, attrs):
        fields = {name: attrs[name] for name in FILTER_FIELDS if name in attrs}
        attrs["filters"] = explicit_filters(fields)  # until before since, a theme that does not exist: 400 by field
        return attrs


class QuoteSerializer(serializers.Serializer):
    item_id = serializers.IntegerField()
    text = serializers.CharField()
    customer = serializers.CharField()
    tier = serializers.CharField()


class ThemeRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class GroupSerializer(serializers.Serializer):
    theme = ThemeRefSerializer(allow_null=True, help_text="Null: the items with no theme yet.")
    items = serializers.IntegerField(help_text="Feedback items of this group among the evidence.")
    customers = serializers.IntegerField(help_text="Unique customers among them.")
    arr = serializers.FloatField(help_text="Total ARR of those customers (each counted once), USD.")
    item_ids = serializers.ListField(child=serializers.IntegerField())
    quotes = QuoteSerializer(many=True)


class AppliedSerializer(serializers.Serializer):
    field = serializers.CharField()
    value = serializers.CharField()
    label = serializers.CharField()
    source = serializers.ChoiceField(choices=["question", "form"], help_text="Read from the question, or a field.")


class AnswerSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The stored question (AskedQuestion).")
    question = serializers.CharField()
    search_text = serializers.CharField(help_text="The text searched: the question without the filter words.")
    filters_applied = AppliedSerializer(many=True)
    abstained = serializers.BooleanField(help_text="True: not enough evidence; the answer says so.")
    answer_text = serializers.CharField(help_text="Every claim cites its items as [#123].")
    groups = GroupSerializer(many=True)
    totals = serializers.DictField(help_text="items, customers, arr over all groups (each customer once).")
    citations = serializers.ListField(child=serializers.IntegerField(), help_text="Every item id the answer cites.")
    nearest = QuoteSerializer(many=True, help_text="When abstaining: the nearest items, not evidence.")
    written_by = serializers.CharField(help_text="offline (extractive) or the Mistral model.")
    strength = serializers.FloatField(
        help_text="Cosine of the best evidence within the filters (0-1); below the hub's threshold it abstains."
    )
    seconds = serializers.FloatField()


class AskView(APIView):
    """Answer a question from the feedback, grouped by theme, citing item ids; "not enough evidence" when weak."""

    required_scope = Scope.READ
    permission_classes = [permissions.IsAuthenticated, HasScope, MayAsk]
    throttle_classes = [TokenRateThrottle, AskRateThrottle]

    @extend_schema(
        request=AskSerializer,
        responses={
            200: AnswerSerializer,
            400: OpenApiResponse(description="The question or a filter is invalid (the errors by field)."),
            429: OpenApiResponse(description="Too many questions: retry after the Retry-After seconds."),
        },
        examples=[
            OpenApiExample(
                "A question with its filters in the text",
                value={"question": "What do enterprise healthcare customers say about fine-tuning?"},
                request_only=True,
            ),
            OpenApiExample(
                "Filters as fields",
                value={"question": "What blocks SSO roll-outs?", "tier": "enterprise", "since": "2026-03-01"},
                request_only=True,
            ),
        ],
        summary="Ask the hub a question about the feedback",
    )
    def post(self, request):
        serializer = AskSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        answer = asking.ask(data["question"], filters=data["filters"], user=request.user)
        return Response(AnswerSerializer(answer.as_dict()).data, status=status.HTTP_200_OK)


urlpatterns = [path("", AskView.as_view(), name="api-ask")]  # included at /api/ask/ by insights.api.urls
