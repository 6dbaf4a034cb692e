"""Customer API: accounts and their usage, narrowed to the accounts the caller may see (sales: their own)."""

from __future__ import annotations

from django.db import transaction
from rest_framework import viewsets

from customers.api.serializers import CustomerSerializer, UsageSnapshotSerializer
from customers.filtersets import CustomerFilterSet, UsageSnapshotFilterSet
from customers.models import Customer, UsageSnapshot
from customers.selectors import visible_to
from customers.services import refresh_usage_signals
from feedbackhub.api import HubViewSetMixin


class CustomerViewSet(HubViewSetMixin, viewsets.ModelViewSet):
    """Accounts. Deleting one that still has feedback is refused (409): move or delete its feedback first."""

    queryset = Customer.objects.all()
    serializer_class = CustomerSerializer
    filterset_class = CustomerFilterSet
    orderings = {  # customer_name_idx (name, id); customer_arr_idx (-arr)
        "name": ("name", "id"),
        "-name": ("-name", "-id"),
        "-arr": ("-arr", "-id"),
        "arr": ("arr", "id"),
    }

    def get_queryset(self):
        return visible_to(super().get_queryset(), self.request.user)


class UsageSnapshotViewSet(HubViewSetMixin, viewsets.ModelViewSet):
    """Daily usage per account, newest first. A write refreshes the account's usage signals (``customers.usage``)."""

    queryset = UsageSnapshot.objects.all()
    serializer_class = UsageSnapshotSerializer
    filterset_class = UsageSnapshotFilterSet
    orderings = {"-taken_on": ("-taken_on", "-id"), "taken_on": ("taken_on", "id")}  # usage_taken_on_idx

    def get_queryset(self):
        return visible_to(super().get_queryset(), self.request.user, prefix="customer__")

    def perform_create(self, serializer):
        with transaction.atomic():
            super().perform_create(serializer)
            refresh_usage_signals(customer_ids=[serializer.instance.customer_id])

    def perform_update(self, serializer):
        before = serializer.instance.customer_id
        with transaction.atomic():
            super().perform_update(serializer)
            refresh_usage_signals(customer_ids=[before, serializer.instance.customer_id])

    def destroy_instance(self, instance) -> None:
        instance.delete()
        refresh_usage_signals(customer_ids=[instance.customer_id])
