"""Feedback admin: the inbox product ops works through every day."""

from django.contrib import admin
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.html import format_html
from unfold.contrib.filters.admin import AutocompleteSelectFilter, RangeDateTimeFilter

from feedback.models import EmbeddingSpace, FeedbackItem
from feedbackhub.admin_tools import HubModelAdmin


@admin.register(FeedbackItem)
class FeedbackItemAdmin(HubModelAdmin):
    """Every feedback item: filter by taxonomy and status, search the customers' words."""

    list_display = [
        "received_at",
        "headline",
        "customer_link",
        "source",
        "category",
        "product",
        "priority",
        "sentiment_label",
        "status",
    ]
    list_display_links = ["received_at", "headline"]
    list_filter = [
        "status",
        "category",
        "source",
        "product",
        "product_area",
        "severity",
        "priority",
        "sentiment_label",
        ("customer", AutocompleteSelectFilter),
        ("received_at", RangeDateTimeFilter),
    ]
    search_fields = ["verbatim", "summary", "=source_id"]
    list_select_related = ["customer"]
    autocomplete_fields = ["customer", "themes", "duplicate_of"]
    readonly_fields = ["created_at", "updated_at", "triaged_at"]
    fieldsets = [
        (None, {"fields": ["verbatim", "summary", "customer", "reporter_email", "status"]}),
        (
            "Triage",
            {
                "fields": [
                    "category",
                    "product",
                    "product_area",
                    "severity",
                    "priority",
                    "sentiment_score",
                    "sentiment_label",
                    "tags",
                    "themes",
                    "duplicate_of",
                    "triaged_at",
                ]
            },
        ),
        ("Source", {"fields": ["source", "source_id", "source_url", "received_at", "raw_payload"]}),
        ("Record", {"fields": ["created_at", "updated_at"]}),
    ]

    def get_queryset(self, request) -> QuerySet:
        return super().get_queryset(request).defer("raw_payload")

    @admin.display(description="feedback", ordering="summary")
    def headline(self, obj: FeedbackItem) -> str:
        return str(obj)

    @admin.display(description="customer", ordering="customer__name")
    def customer_link(self, obj: FeedbackItem) -> str:
        if obj.customer is None:
            return "—"
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:customers_customer_change", args=[obj.customer_id]), obj.customer.name
        )


@admin.register(EmbeddingSpace)
class EmbeddingSpaceAdmin(HubModelAdmin):
    """Vector spaces the hub has embedded into (one per AI provider and model)."""

    list_display = ["provider", "model", "dimensions", "created_at"]
    readonly_fields = ["provider", "model", "dimensions", "created_at"]

    def has_add_permission(self, request) -> bool:
        return False
