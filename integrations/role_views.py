"""Product ops' "Needs a customer" queue: ingested feedback no account was found for, and the action that fixes it.

Ingestion never drops an item it cannot match (``integrations.ingest``): it keeps it without a customer, and it is
listed here until someone assigns one (``feedback.services.assign_customer``, so theme rollups follow). Open to
whoever may change feedback; nothing else of the item is edited here (its link opens the feedback item itself).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.widgets import AutocompleteSelect
from django.db import transaction
from django.db.models import QuerySet
from django.template.response import TemplateResponse

from feedback import services
from feedback.models import FeedbackItem
from feedbackhub.admin_tools import HubModelAdmin
from feedbackhub.formatting import link
from integrations.models import UnmatchedFeedback

RESOLVER_PERMISSION = "feedback.change_feedbackitem"
ASSIGN_MAX = 1_000  # items per assignment: one account's unmatched mail, not "select all" across the queue


class AssignCustomerForm(forms.Form):
    """The account to attribute the selected feedback to (searched, not listed: there may be 50,000)."""

    def __init__(self, *args, request, admin_site, **kwargs):
        super().__init__(*args, **kwargs)
        customer_field = FeedbackItem._meta.get_field("customer")
        related_admin = admin_site._registry.get(customer_field.related_model)
        customers = related_admin.get_queryset(request) if related_admin else customer_field.related_model.objects.all()
        self.fields["customer"] = forms.ModelChoiceField(
            queryset=customers,
            widget=AutocompleteSelect(customer_field, admin_site),
            help_text="Type to search accounts by company, domain or CRM id.",
        )


@admin.register(UnmatchedFeedback)
class UnmatchedFeedbackAdmin(HubModelAdmin):
    """Feedback without a customer, newest first, with what the source said about who sent it."""

    list_display = ["received_at", "headline", "source", "reporter_email", "domain_hint"]
    list_display_links = None
    list_filter = ["source"]
    search_fields = ["reporter_email", "=source_id"]
    sortable_by = ["received_at"]
    actions = ["assign_customer"]
    offers_saved_views = False

    def get_queryset(self, request) -> QuerySet:
        return super().get_queryset(request).filter(customer__isnull=True).defer("raw_payload")

    def has_module_permission(self, request) -> bool:
        return request.user.is_active and request.user.has_perm(RESOLVER_PERMISSION)

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_active and request.user.has_perm(RESOLVER_PERMISSION)

    def has_change_permission(self, request, obj=None) -> bool:
        return obj is None and request.user.is_active and request.user.has_perm(RESOLVER_PERMISSION)

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="feedback")
    def headline(self, obj: FeedbackItem) -> str:
        return link(FeedbackItem, obj.pk, str(obj))

    @admin.display(description="e-mail domain")
    def domain_hint(self, obj: FeedbackItem) -> str:
        return obj.reporter_email.rsplit("@", 1)[1] if "@" in obj.reporter_email else "—"

    @admin.action(description="Assign customer…", permissions=["change"])
    def assign_customer(self, request, queryset: QuerySet):
        """An intermediate page picks the account; applying it attributes every selected item through the service."""
        form = AssignCustomerForm(
            request.POST if "apply" in request.POST else None, request=request, admin_site=self.admin_site
        )
        count = queryset.count()
        if count > ASSIGN_MAX:
            self.message_user(request, f"Select at most {ASSIGN_MAX:,} items to assign at once.", messages.ERROR)
            return None
        if "apply" in request.POST and form.is_valid():
            customer = form.cleaned_data["customer"]
            with transaction.atomic():
                items = list(queryset.select_for_update().filter(customer__isnull=True).only("pk", "customer"))
                for item in items:
                    services.assign_customer(item=item, customer=customer)
            self.message_user(
                request,
                f"Assigned {len(items):,} item(s) to “{customer}”"
                + (f" ({count - len(items):,} had a customer already)." if count > len(items) else "."),
                messages.SUCCESS,
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Assign a customer",
            "opts": self.model._meta,
            "form": form,
            "items": queryset[:20],
            "count": count,
            "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
            "select_across": request.POST.get("select_across", "0"),
            "action": "assign_customer",
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "integrations/assign_customer.html", context)
