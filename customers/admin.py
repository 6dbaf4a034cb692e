"""Customer admin: browse and segment accounts, see their usage."""

from django.contrib import admin
from django.db.models import QuerySet
from unfold.contrib.filters.admin import (
    RangeDateFilter,
    RangeNumericFilter,
    RelatedDropdownFilter,
)

from customers import filtersets, selectors
from customers.filters import AtRiskFilter, CohortFilter, HeavyFeatureFilter
from customers.models import Customer, UsageSnapshot
from customers.resources import CustomerResource, UsageSnapshotResource
from feedbackhub.admin_tools import HubModelAdmin, ScopedAutocompleteSelectFilter
from feedbackhub.formatting import money
from feedbackhub.sheets import SpreadsheetAdmin


@admin.register(Customer)
class CustomerAdmin(HubModelAdmin, SpreadsheetAdmin):
    """Accounts with their segments; search by company, domain or CRM id; export the filtered list, import a sheet."""

    resource_classes = [CustomerResource]
    list_before_template = "admin/includes/phone_list.html"
    phone_hidden = ["industry", "region", "plan", "health_score", "usage_trend", "last_active_on", "renewal_date"]

    list_display = [
        "name",
        "industry",
        "region",
        "tier",
        "arr_usd",
        "plan",
        "lifecycle_stage",
        "health_score",
        "usage_trend",
        "last_active_on",
        "owner",
        "renewal_date",
    ]
    list_filter = [
        CohortFilter,
        AtRiskFilter,
        "tier",
        "industry",
        "region",
        "language",
        "plan",
        "lifecycle_stage",
        "primary_use_case",
        ("account_owner", RelatedDropdownFilter),
        ("arr", RangeNumericFilter),
        HeavyFeatureFilter,
    ]
    search_fields = ["name", "domain", "=crm_id"]
    list_select_related = ["account_owner"]
    autocomplete_fields = ["account_owner"]
    readonly_fields = [
        "health_score",
        "last_active_on",
        "usage_change_7d",
        "usage_change_30d",
        "heavy_feature_names",
        "created_at",
        "updated_at",
    ]
    fieldsets = [
        (None, {"fields": ["name", "domain", "crm_id", "account_owner"]}),
        ("Segment", {"fields": ["industry", "region", "language", "primary_use_case"]}),
        (
            "Commercial",
            {"fields": ["tier", "plan", "arr", "lifecycle_stage", "customer_since", "renewal_date"]},
        ),
        (
            "Health and usage (computed every day)",
            {
                "fields": [
                    "health_score",
                    "last_active_on",
                    "usage_change_7d",
                    "usage_change_30d",
                    "heavy_feature_names",
                ]
            },
        ),
        ("Record", {"fields": ["created_at", "updated_at"]}),
    ]

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {**(extra_context or {}), "phone_hidden": self.phone_hidden})

    def get_search_results(self, request, queryset, search_term):
        """The same search as the API's ``q`` (``customers.filtersets.search``)."""
        return filtersets.search(queryset, search_term), False

    def get_queryset(self, request) -> QuerySet:
        """Sales/CS see the accounts they own; every list, search, autocomplete, export and URL goes through here."""
        return selectors.visible_to(super().get_queryset(request), request.user)

    @admin.display(description="ARR", ordering="arr")
    def arr_usd(self, obj: Customer) -> str:
        return money(obj.arr)

    @admin.display(description="usage, 30 days", ordering="usage_change_30d")
    def usage_trend(self, obj: Customer) -> str:
        """Active users of the last 30 days against the 30 before (``customers.usage``)."""
        if obj.usage_change_30d is None:
            return "—"
        return f"{obj.usage_change_30d:+.0f} %".replace("-", "−")

    @admin.display(description="heavy user of")
    def heavy_feature_names(self, obj: Customer) -> str:
        return ", ".join(name.replace("_", " ") for name in obj.heavy_features) or "—"

    @admin.display(description="account owner", ordering="account_owner__last_name")
    def owner(self, obj: Customer) -> str:
        if obj.account_owner is None:
            return "—"
        return obj.account_owner.get_full_name() or obj.account_owner.get_username()


@admin.register(UsageSnapshot)
class UsageSnapshotAdmin(HubModelAdmin, SpreadsheetAdmin):
    """Daily usage per account: the behavioural signal. Import a CSV/XLSX of days (re-importing updates them)."""

    resource_classes = [UsageSnapshotResource]
    list_display = ["customer", "taken_on", "active_users", "api_requests", "tokens_used"]
    list_select_related = ["customer"]
    autocomplete_fields = ["customer"]
    list_filter = [("customer", ScopedAutocompleteSelectFilter), ("taken_on", RangeDateFilter)]

    def get_queryset(self, request) -> QuerySet:
        return selectors.visible_to(super().get_queryset(request), request.user, prefix="customer__")
