"""Feedback API: the items a caller may see (sales: their accounts'), newest first, a keyset page at any depth."""

from __future__ import annotations

from rest_framework import viewsets

from customers.selectors import visible_to
from feedback import services
from feedback.api.serializers import FeedbackItemListSerializer, FeedbackItemSerializer
from feedback.filtersets import FeedbackFilterSet
from feedback.models import FeedbackItem
from feedbackhub.api import HubViewSetMixin, linked_ids, wants


class FeedbackItemViewSet(HubViewSetMixin, viewsets.ModelViewSet):
    """Feedback items. Writes go through ``feedback.services`` (workflow, duplicates, themes, rollups)."""

    queryset = FeedbackItem.objects.all()
    serializer_class = FeedbackItemSerializer
    filterset_class = FeedbackFilterSet
    orderings = {  # feedback_received_idx (-received_at, -id), read backwards for the oldest first
        "-received_at": ("-received_at", "-id"),
        "received_at": ("received_at", "id"),
    }

    def get_serializer_class(self):
        return FeedbackItemListSerializer if self.action == "list" else FeedbackItemSerializer

    def get_queryset(self):
        queryset = visible_to(super().get_queryset(), self.request.user, prefix="customer__")
        if self.action == "list":
            queryset = queryset.defer("raw_payload")
        if wants(self.request, "themes"):
            queryset = queryset.annotate(**linked_ids(FeedbackItem, "themes"))
        return queryset

    def destroy_instance(self, instance) -> None:
        services.delete_feedback(items=[instance])
