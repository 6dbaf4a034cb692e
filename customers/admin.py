"""Customer admin: browse and segment accounts, see their usage."""

from django.contrib import admin
from unfold.contrib.filters.admin import (
    AutocompleteSelectFilter,
    RangeDateFilter,
    RangeNumericFilter,
    RelatedDropdownFilter,
)

from customers.models import Customer, UsageSnapshot
from feedbackhub.admin_tools import HubModelAdmin


@admin.register(Customer)
class CustomerAdmin(HubModelAdmin):
    """Accounts with their segments; search by company, domain or CRM id."""

    list_display = [
        "name",
        "industry",
        "region",
        "tier",
        "arr",
        "plan",
        "lifecycle_stage",
        "health_score",
        "account_owner",
        "renewal_date",
    ]
    list_filter = [
        "tier",
        "industry",
        "region",
        "language",
        "plan",
        "lifecycle_stage",
        "primary_use_case",
        ("account_owner", RelatedDropdownFilter),
        ("arr", RangeNumericFilter),
    ]
    search_fields = ["name", "domain", "=crm_id"]
    list_select_related = ["account_owner"]
    autocomplete_fields = ["account_owner"]
    readonly_fields = ["created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["name", "domain", "crm_id", "account_owner"]}),
        ("Segment", {"fields": ["industry", "region", "language", "primary_use_case"]}),
        (
            "Commercial",
            {"fields": ["tier", "plan", "arr", "lifecycle_stage", "customer_since", "renewal_date", "health_score"]},
        ),
        ("Record", {"fields": ["created_at", "updated_at"]}),
    ]


@admin.register(UsageSnapshot)
class UsageSnapshotAdmin(HubModelAdmin):
    """Daily usage per account: the behavioural signal."""

    list_display = ["customer", "taken_on", "active_users", "api_requests", "tokens_used"]
    list_select_related = ["customer"]
    autocomplete_fields = ["customer"]
    list_filter = [("customer", AutocompleteSelectFilter), ("taken_on", RangeDateFilter)]
