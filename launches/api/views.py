"""Launch API: launches by target date with their checklist progress, and the checklist items themselves."""

from __future__ import annotations

from django.utils import timezone
from rest_framework import viewsets

from feedbackhub.api import HubViewSetMixin, linked_ids, wants
from launches.api.serializers import ChecklistItemSerializer, LaunchSerializer
from launches.filtersets import ChecklistItemFilterSet, LaunchFilterSet
from launches.models import ChecklistItem, Launch


class LaunchViewSet(HubViewSetMixin, viewsets.ModelViewSet):
    """Launches. Created with the checklist of their type; a type or date change updates it."""

    queryset = Launch.objects.all()
    serializer_class = LaunchSerializer
    filterset_class = LaunchFilterSet
    orderings = {"target_date": ("target_date", "id"), "-target_date": ("-target_date", "-id")}  # launch_target_idx

    def get_queryset(self):
        queryset = super().get_queryset().with_progress(today=timezone.localdate())
        if wants(self.request, "themes"):
            queryset = queryset.annotate(**linked_ids(Launch, "themes"))
        return queryset


class ChecklistItemViewSet(HubViewSetMixin, viewsets.ModelViewSet):
    """Checklist items, launch by launch, each team's in order. Ticking one is for its team (403 otherwise)."""

    queryset = ChecklistItem.objects.all()
    serializer_class = ChecklistItemSerializer
    filterset_class = ChecklistItemFilterSet
    orderings = {"launch": ("launch_id", "team", "position", "id")}  # checklist_item_order_idx
