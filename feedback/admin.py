"""Feedback admin: the inbox product ops works through every day."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import lookup_spawns_duplicates
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F, Prefetch, QuerySet, Subquery
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from unfold.contrib.filters.admin import RangeDateTimeFilter
from unfold.decorators import action, display

from customers import selectors as customer_selectors
from customers.models import Customer
from feedback import filtersets, services
from feedback.choices import Priority, Sentiment, Status
from feedback.community_filter import CommunitySegmentFilter
from feedback.filtersets import IsAnyOf
from feedback.models import EmbeddingSpace, FeedbackItem, Merge
from feedback.resources import FeedbackResource
from feedbackhub.admin_tools import HubChangeList, HubModelAdmin, ScopedAutocompleteSelectFilter
from feedbackhub.formatting import link, money
from feedbackhub.sheets import SpreadsheetAdmin

MATURITY_FIELDS = ["tenure_days", "time_maturity", "feature_uses", "usage_maturity"]
STATUS_VARIANTS = {
    Status.NEW: "info",
    Status.REVIEWING: "warning",
    Status.VALIDATED: "warning",
    Status.BUILDING: "primary",
    Status.SHIPPED: "success",
    Status.WONT_DO: "default",
}
PRIORITY_VARIANTS = {
    Priority.CRITICAL: "danger",
    Priority.HIGH: "warning",
    Priority.MEDIUM: "info",
    Priority.LOW: "default",
}
SENTIMENT_VARIANTS = {Sentiment.POSITIVE: "success", Sentiment.NEUTRAL: "default", Sentiment.NEGATIVE: "danger"}
ONE_THEME = "themes__id__exact"
MERGE_MAX = 100  # a merge is a handful of duplicates of one ask; "select all" on 1M rows is a mistake
SOURCE_FIELDS = ["verbatim", "source", "source_id", "source_url", "received_at", "raw_payload", "reporter_email"]


class FeedbackChangeList(HubChangeList):
    """The feedback list: filtering on one theme cannot repeat a row, so it runs without SELECT DISTINCT.

    Django marks every many-to-many filter as one that may repeat rows and adds DISTINCT (a sort of every match
    before the first page, 0.6 s for a big theme at 1M rows). One exact theme joins at most one link per item, as
    (item, theme) is unique.
    """

    def get_filters(self, request):
        specs, has_filters, remaining, may_have_duplicates, has_active = super().get_filters(request)
        if may_have_duplicates:
            spawning = {key for key in self.params if lookup_spawns_duplicates(self.lookup_opts, key)}
            if spawning == {ONE_THEME} and "," not in str(self.params[ONE_THEME]):
                may_have_duplicates = False
        return specs, has_filters, remaining, may_have_duplicates, has_active


class ThemeFilter(ScopedAutocompleteSelectFilter):
    """Feedback of one theme, found from the theme's links: ``id = ANY(ARRAY(links))``, not a join.

    Joined, PostgreSQL walks the newest feedback and probes each item's links until it has a page: about 24,000
    probes for a theme with 6,000 of 1M items, 40-100 ms (parallel workers included). From the links, it reads the
    theme's items by primary key and keeps the newest 50: 3-20 ms. The ORM's ``pk__in=subquery`` is planned as the
    join again, hence the array. Several themes, or none, filter as usual.
    """

    def queryset(self, request, queryset):
        values = self.used_parameters.get(self.lookup_kwarg)
        values = values if isinstance(values, list) else [values]
        if len(values) != 1 or self.lookup_val_isnull or not str(values[0]).isdigit():
            return super().queryset(request, queryset)
        links = FeedbackItem.themes.through.objects.filter(theme_id=int(values[0])).values("feedbackitem_id")
        return queryset.filter(IsAnyOf(F("pk"), Subquery(links)))


class FeedbackItemForm(forms.ModelForm):
    """Checks the workflow rules of ``feedback.services`` before anything is saved, as field errors."""

    class Meta:
        model = FeedbackItem
        fields = ["status", "duplicate_of"]  # the rules it checks; the admin adds its fieldsets' fields

    def clean(self):
        cleaned = super().clean()
        item = self.instance  # still holds the saved values: the form's values are applied after clean()
        if item.pk and "status" in cleaned:
            try:
                services.check_status_change(item=item, status=cleaned["status"])
            except ValidationError as error:
                self.add_error("status", error)
        original = cleaned.get("duplicate_of")
        if item.pk and original is not None and original.pk != item.duplicate_of_id:
            try:
                services.duplicate_root(item=item, original=original)
            except ValidationError as error:
                self.add_error("duplicate_of", error)
        return cleaned


def _move_action(status: Status):
    """A bulk action that moves the selected items to ``status`` through the workflow service."""

    @action(description=f"Move to {status.label}", permissions=["change"])
    def move(modeladmin, request, queryset: QuerySet) -> None:
        result = services.change_status_bulk(items=queryset, status=status)
        if result.moved:
            modeladmin.message_user(request, f"Moved {result.moved:,} item(s) to {status.label}.", messages.SUCCESS)
        for current, count in result.refused.items():
            allowed = ", ".join(sorted(Status(value).label for value in services.allowed_statuses(current=current)))
            modeladmin.message_user(
                request,
                f"Left {count:,} item(s) in {Status(current).label}: they cannot move to {status.label} "
                f"(allowed from {Status(current).label}: {allowed}).",
                messages.WARNING,
            )

    move.__name__ = f"move_to_{status.value}"
    return move


@admin.register(FeedbackItem)
class FeedbackItemAdmin(HubModelAdmin, SpreadsheetAdmin):
    """Every feedback item: filter by taxonomy and status, search the customers' words; import and export sheets."""

    resource_classes = [FeedbackResource]  # imports go through feedback.services too (see feedback.resources)

    list_display = [
        "received_at",
        "headline",
        "customer_link",
        "category",
        "product",
        "priority_pill",
        "sentiment_pill",
        "status_pill",
        "theme_names",
    ]
    list_display_links = ["received_at", "headline"]
    sortable_by = ["received_at"]  # the one order an index serves at 1M rows (received_at, id): offer no other
    list_before_template = "admin/includes/phone_list.html"
    phone_hidden = ["product", "sentiment_pill", "theme_names", "category"]  # the source is on the page
    grid_editable = ("status", "category", "priority", "themes")  # ?grid=edit; each row saves through the services
    grid_columns = {"status_pill": "status", "priority_pill": "priority", "theme_names": "themes"}
    form = FeedbackItemForm
    actions = [*(_move_action(status) for status in Status), "merge_into_oldest", "assign_theme"]
    list_filter = [
        "status",
        "category",
        "source",
        CommunitySegmentFilter,  # community authors not matched to a customer (integrations.community)
        "product",
        "product_area",
        "severity",
        "priority",
        "sentiment_label",
        ("customer", ScopedAutocompleteSelectFilter),
        ("themes", ThemeFilter),
        "customer__tier",
        "customer__industry",
        "customer__region",
        "customer__language",
        "customer__lifecycle_stage",
        "time_maturity",  # feedback maturity at capture (feedback.maturity)
        "usage_maturity",
        ("received_at", RangeDateTimeFilter),
    ]
    search_fields = ["verbatim", "summary", "=source_id"]  # plus the customer's name and exact tags: see below
    list_select_related = ["customer"]
    autocomplete_fields = ["customer", "themes", "duplicate_of"]
    readonly_fields = [
        "sentiment_label",
        "created_at",
        "updated_at",
        "triaged_at",
        "customer_context",
        *MATURITY_FIELDS,  # stamped at capture from the customer's tenure and feature usage (feedback.maturity)
    ]
    fieldsets = [
        (None, {"fields": ["verbatim", "summary", "customer", "customer_context", "reporter_email", "status"]}),
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
        ("Source", {"fields": ["source", "source_id", "source_url", "received_at", "feature", "raw_payload"]}),
        ("Maturity at capture", {"fields": MATURITY_FIELDS, "classes": ["collapse"]}),
        ("Record", {"fields": ["created_at", "updated_at"]}),
    ]

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {**(extra_context or {}), "phone_hidden": self.phone_hidden})

    def get_changelist(self, request, **kwargs):
        return FeedbackChangeList

    def get_changelist_form(self, request, **kwargs):
        """Grid rows are checked by the same form as the change page (the workflow's allowed moves)."""
        return super().get_changelist_form(request, **{"form": FeedbackItemForm, **kwargs})

    def get_queryset(self, request) -> QuerySet:
        """Sales/CS see their own accounts' feedback only, in every list, search, export and URL."""
        theme_model = FeedbackItem.themes.field.related_model
        themes = Prefetch("themes", queryset=theme_model.objects.only("id", "name").order_by("name"))
        queryset = super().get_queryset(request).defer("raw_payload").prefetch_related(themes)
        return customer_selectors.visible_to(queryset, request.user, prefix="customer__")

    def get_readonly_fields(self, request, obj=None):
        # A new item starts its life as New; the workflow moves it on from there. Once recorded, what the customer
        # said and where it came from are read-only: they are the evidence.
        if obj is None:
            return [*self.readonly_fields, "status"]
        return [*self.readonly_fields, *SOURCE_FIELDS]

    def get_search_results(self, request, queryset, search_term):
        """One search box, the same as the API's ``q`` (``feedback.filtersets.search``): words, summary, source id,
        tags and the customer's name."""
        return filtersets.search(queryset, search_term), False

    def save_model(self, request, obj: FeedbackItem, form, change: bool) -> None:
        """Saved through ``services.save_feedback``: status, duplicate link, customer and sentiment follow the rules;
        the triage fields the person changed become theirs, logged as overrides (the change form and the grid alike)."""
        original = obj.duplicate_of if obj.duplicate_of_id else None
        services.save_feedback(item=obj, created=not change, user=request.user)
        if original is not None and obj.duplicate_of_id != original.pk:
            self.message_user(
                request,
                f"“{original}” is itself a duplicate: linked to its original “{obj.duplicate_of}” instead "
                "(duplicate chains stay one level deep).",
                messages.INFO,
            )

    def save_related(self, request, form, formsets, change: bool) -> None:
        themes = form.cleaned_data.pop("themes", None)  # linked through the service, which marks rollups stale
        super().save_related(request, form, formsets, change)
        if themes is not None:
            services.set_themes(item=form.instance, themes=themes)

    def delete_model(self, request, obj: FeedbackItem) -> None:
        services.delete_feedback(items=[obj])

    def delete_queryset(self, request, queryset: QuerySet) -> None:
        services.delete_feedback(items=queryset)

    @display(description="priority", label=PRIORITY_VARIANTS)
    def priority_pill(self, obj: FeedbackItem):
        return (obj.priority, obj.get_priority_display()) if obj.priority else "—"

    @display(description="sentiment", label=SENTIMENT_VARIANTS)
    def sentiment_pill(self, obj: FeedbackItem):
        return (obj.sentiment_label, obj.get_sentiment_label_display()) if obj.sentiment_label else "—"

    @display(description="status", label=STATUS_VARIANTS)
    def status_pill(self, obj: FeedbackItem):
        return obj.status, obj.get_status_display()

    @admin.display(description="themes")
    def theme_names(self, obj: FeedbackItem) -> str:
        return ", ".join(theme.name for theme in obj.themes.all()) or "—"

    @admin.display(description="customer context")
    def customer_context(self, obj: FeedbackItem) -> str:
        """Who said it: tier, ARR, lifecycle, health and owner, without leaving the page."""
        customer = obj.customer
        if customer is None:
            return "No customer attributed yet."
        owner = customer.account_owner
        return format_html(
            '<a href="{}">{}</a> · {} · {} ARR · {} · health {} · owner {}',
            reverse("admin:customers_customer_change", args=[customer.pk]),
            customer.name,
            customer.get_tier_display(),
            money(customer.arr),
            customer.get_lifecycle_stage_display(),
            customer.health_score if customer.health_score is not None else "—",
            (owner.get_full_name() or owner.get_username()) if owner else "nobody",
        )

    @admin.display(description="feedback", ordering="summary")
    def headline(self, obj: FeedbackItem) -> str:
        return str(obj)

    @admin.display(description="customer", ordering="customer__name")
    def customer_link(self, obj: FeedbackItem) -> str:
        if obj.customer is None:
            return "—"
        return link(Customer, obj.customer_id, obj.customer.name)

    @action(description="Merge into the oldest selected item (undo from the message)", permissions=["change"])
    def merge_into_oldest(self, request, queryset: QuerySet) -> None:
        items = list(queryset.order_by("received_at", "id")[: MERGE_MAX + 1])
        if len(items) > MERGE_MAX:
            self.message_user(
                request,
                f"Merge at most {MERGE_MAX} items at once: these are not duplicates of one ask.",
                messages.ERROR,
            )
            return
        parents = [item for item in items if item.duplicate_of_id is None]
        if len(items) < 2 or not parents:
            self.message_user(
                request, "Select two or more items, at least one of them not a duplicate.", messages.ERROR
            )
            return
        parent = parents[0]
        try:
            merge = services.merge_duplicates(parent=parent, items=items, user=request.user)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return
        undo = reverse("admin:feedback_merge_undo", args=[merge.pk])
        self.message_user(
            request,
            format_html(
                "Merged {} item(s) into “{}”; it now carries their themes. "
                '<a href="{}" style="text-decoration: underline; font-weight: 600">Undo this merge</a>',
                len(items) - 1,
                parent,
                undo,
            ),
            messages.SUCCESS,
        )

    @action(description="Assign a theme…", permissions=["change"])
    def assign_theme(self, request, queryset: QuerySet):
        """An intermediate page picks the theme; applying it links every selected item through the service."""
        form = AssignThemeForm(
            request.POST if "apply" in request.POST else None, request=request, admin_site=self.admin_site
        )
        if "apply" in request.POST and form.is_valid():
            theme = form.cleaned_data["theme"]
            added = services.add_theme(items=queryset, theme=theme)
            self.message_user(
                request,
                f"Linked {added:,} item(s) to “{theme}” ({queryset.count() - added:,} already were).",
                messages.SUCCESS,
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Assign a theme",
            "opts": self.model._meta,
            "form": form,
            "items": queryset[:20],
            "count": queryset.count(),
            "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
            "select_across": request.POST.get("select_across", "0"),
            "action": "assign_theme",
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/feedback/feedbackitem/assign_theme.html", context)


class AssignThemeForm(forms.Form):
    """The theme to link the selected feedback to (searched, not listed: there may be thousands)."""

    def __init__(self, *args, request, admin_site, **kwargs):
        super().__init__(*args, **kwargs)
        theme_field = FeedbackItem._meta.get_field("themes")
        related_admin = admin_site._registry.get(theme_field.related_model)
        themes = related_admin.get_queryset(request) if related_admin else theme_field.related_model.objects.all()
        self.fields["theme"] = forms.ModelChoiceField(
            queryset=themes,
            widget=AutocompleteSelect(theme_field, admin_site),
            help_text="Type to search themes by name.",
        )


@admin.register(Merge)
class MergeAdmin(HubModelAdmin):
    """Merges of duplicates: who merged what into which parent, and the undo."""

    list_display = ["created_at", "parent_link", "size", "merged_by", "undone"]
    list_select_related = ["parent", "merged_by"]
    readonly_fields = ["parent", "merged_by", "before", "created_at", "undone_at", "undone_by"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_urls(self):
        undo = self.admin_site.admin_view(self.undo_view)
        return [path("<int:merge_id>/undo/", undo, name="feedback_merge_undo"), *super().get_urls()]

    def undo_view(self, request, merge_id: int):
        """GET: what the undo will do; POST: undo it through the service."""
        merge = get_object_or_404(Merge.objects.select_related("parent"), pk=merge_id)
        if not request.user.has_perm("feedback.change_feedbackitem"):
            raise PermissionDenied
        if request.method == "POST":
            try:
                result = services.undo_merge(merge=merge, user=request.user)
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)
            else:
                note = (
                    f" ({len(result.skipped)} left as they are: they were linked elsewhere since)"
                    if result.skipped
                    else ""
                )
                self.message_user(
                    request,
                    f"Undid the merge: {result.restored} item(s) are back where they were{note}.",
                    messages.SUCCESS,
                )
            return HttpResponseRedirect(reverse("admin:feedback_feedbackitem_change", args=[merge.parent_id]))
        context = {
            **self.admin_site.each_context(request),
            "title": "Undo this merge?",
            "opts": self.model._meta,
            "merge": merge,
            "items": FeedbackItem.objects.filter(pk__in=[int(pk) for pk in merge.before.get("items", {})]).only(
                "id", "summary", "verbatim"
            ),
        }
        return TemplateResponse(request, "admin/feedback/merge/undo.html", context)

    @admin.display(description="parent")
    def parent_link(self, obj: Merge) -> str:
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:feedback_feedbackitem_change", args=[obj.parent_id]), obj.parent
        )

    @admin.display(description="items")
    def size(self, obj: Merge) -> int:
        return len(obj.before.get("items", {}))

    @admin.display(description="undone", boolean=True)
    def undone(self, obj: Merge) -> bool:
        return obj.undone_at is not None


@admin.register(EmbeddingSpace)
class EmbeddingSpaceAdmin(HubModelAdmin):
    """Vector spaces the hub has embedded into (one per AI provider and model)."""

    list_display = ["provider", "model", "dimensions", "created_at"]
    readonly_fields = ["provider", "model", "dimensions", "created_at"]

    def has_add_permission(self, request) -> bool:
        return False


import feedback.duplicates_admin  # noqa: E402, F401 - the duplicate suggestions queue and the item page's section
from feedback import triage_admin  # noqa: E402, F401 - the triage's admin (records, overrides, quality page)
