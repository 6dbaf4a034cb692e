"""Admin for customer updates (close the loop): the account owner's list of customers to tell that what they asked
for shipped, each with its drafted message, due date and the "told" confirmation; and the loop's figures on the
theme page. Registered by one import in ``launches/admin.py``; every change goes through ``launches.closing``.

The theme page's "Closing the loop" fieldset is added here, to ``themes.admin.ThemeAdmin``, as ``feedback`` adds its
triage panels to its own admin (``feedback/triage_admin.py``): the figures read customer updates, which live in
launches, and themes may not import launches.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from unfold.decorators import action, display

from customers.selectors import visible_to
from feedbackhub.admin_tools import HubModelAdmin, ScopedAutocompleteSelectFilter
from launches import closing, loop_figures
from launches.models import CustomerUpdate, CustomerUpdateStatus
from themes.admin import ThemeAdmin
from themes.choices import ThemeStatus
from themes.models import Theme

ONE_THEME = "theme__id__exact"  # the theme filter's parameter: the summary then shows that theme's figures
STATUS_VARIANTS = {
    CustomerUpdateStatus.TO_TELL: "warning",
    CustomerUpdateStatus.TOLD: "success",
    CustomerUpdateStatus.SKIPPED: "default",
}


class WhoseFilter(admin.SimpleListFilter):
    """The owner's view: the updates of the accounts they own (``customer_update_owner_idx`` serves it)."""

    title = "whose"
    parameter_name = "whose"

    def lookups(self, request, model_admin):
        return [("mine", "My customer updates"), ("nobody", "No account owner")]

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        if self.value() == "mine":
            return queryset.filter(owner=request.user)
        if self.value() == "nobody":
            return queryset.filter(owner__isnull=True)
        return queryset


class DueFilter(admin.SimpleListFilter):
    """Updates still to tell past their due date."""

    title = "due"
    parameter_name = "due"

    def lookups(self, request, model_admin):
        return [("overdue", "Overdue")]

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        if self.value() == "overdue":
            return queryset.filter(status=CustomerUpdateStatus.TO_TELL, due_on__lt=timezone.localdate())
        return queryset


class CustomerUpdateForm(forms.ModelForm):
    """Only the message is the owner's to edit; the rest is the loop's record."""

    class Meta:
        model = CustomerUpdate
        fields = ["message"]
        widgets = {"message": forms.Textarea(attrs={"rows": 14})}


@admin.register(CustomerUpdate)
class CustomerUpdateAdmin(HubModelAdmin):
    """Customers to tell, most urgent first: to tell before told, by due date. Made by the loop, never by hand."""

    form = CustomerUpdateForm
    list_display = ["customer", "theme", "owner", "status_label", "due", "feedback_count", "first_asked_at", "told_at"]
    list_filter = [
        WhoseFilter,
        "status",
        DueFilter,
        ("theme", ScopedAutocompleteSelectFilter),
        ("customer", ScopedAutocompleteSelectFilter),
    ]
    search_fields = ["customer__name", "theme__name"]
    list_select_related = ["customer", "theme", "owner"]
    actions = ["mark_told_selected", "skip_selected"]
    actions_submit_line = ["save_and_mark_told", "save_and_skip"]
    list_before_template = "admin/launches/customerupdate/figures.html"
    readonly_fields = [
        "customer",
        "theme",
        "launch",
        "owner",
        "status",
        "due_on",
        "feedback_count",
        "first_asked_at",
        "asked",
        "told_at",
        "told_by",
        "created_at",
    ]
    fieldsets = [
        (None, {"fields": ["customer", "theme", "launch", "owner", "status", "due_on"]}),
        ("What they asked", {"fields": ["feedback_count", "first_asked_at", "asked"]}),
        ("Message", {"fields": ["message"]}),
        ("Told", {"fields": ["told_at", "told_by", "created_at"]}),
    ]

    def get_queryset(self, request) -> QuerySet:
        """Sales/CS see the updates of the accounts they own, as everywhere else (``customers.selectors``)."""
        return visible_to(super().get_queryset(request), request.user, prefix="customer__")

    def has_add_permission(self, request) -> bool:
        return False  # made by the loop when a theme or a launch ships

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # the record of who was told; "Skip" closes one that should not be sent

    def changelist_view(self, request, extra_context=None):
        today = timezone.localdate()
        theme_id = request.GET.get(ONE_THEME, "")
        report = loop_figures.loop_figures(today=today, theme_ids=[int(theme_id)] if theme_id.isdigit() else None)
        summary = {"label": "All shipped themes", "text": loop_figures.describe(report.overall)}
        if theme_id.isdigit():
            theme = Theme.objects.filter(pk=int(theme_id)).only("name").first()
            summary["label"] = f"“{theme.name}”" if theme else "This theme"
        return super().changelist_view(request, {**(extra_context or {}), "loop_summary": summary})

    # --- Columns --------------------------------------------------------------------------------------------------

    @display(description="status", ordering="status", label=STATUS_VARIANTS)
    def status_label(self, obj: CustomerUpdate) -> tuple[str, str]:
        return obj.status, obj.get_status_display()

    @admin.display(description="due", ordering="due_on")
    def due(self, obj: CustomerUpdate) -> str:
        """The due date; in red with the days late when the customer is still to tell after it."""
        late = (timezone.localdate() - obj.due_on).days
        if obj.status == CustomerUpdateStatus.TO_TELL and late > 0:
            return format_html(
                '<span class="fh-overdue" style="color:#dc2626;font-weight:600">{} · {} day{} late</span>',
                obj.due_on.isoformat(),
                late,
                "s" if late != 1 else "",
            )
        return obj.due_on.isoformat()

    @admin.display(description="their feedback")
    def asked(self, obj: CustomerUpdate) -> str:
        url = reverse("admin:feedback_feedbackitem_changelist")
        query = f"?themes__id__exact={obj.theme_id}&customer__id__exact={obj.customer_id}"
        return format_html('<a href="{}{}">The customer\'s feedback in this theme</a>', url, query)

    # --- Saving and confirming: through launches.closing ----------------------------------------------------------

    def save_model(self, request, obj: CustomerUpdate, form, change) -> None:
        """The message only, through the service (a whole-row save could undo a "told" made meanwhile); then the
        submit line's button, if one was pressed ("Save and mark told", "Save and skip")."""
        closing.edit_message(update=obj, message=form.cleaned_data["message"])
        for submit in self.get_actions_submit_line(request, obj.pk):
            if submit.action_name in request.POST:
                submit.method(request, obj)

    def has_tell_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("launches.change_customerupdate")

    @action(description="Mark told", permissions=["tell"])
    def mark_told_selected(self, request, queryset: QuerySet) -> None:
        told = closing.mark_told(updates=queryset, user=request.user)
        self.message_user(request, f"Marked {told} customer update(s) told.", messages.SUCCESS)

    @action(description="Skip (do not tell)", permissions=["tell"])
    def skip_selected(self, request, queryset: QuerySet) -> None:
        skipped = closing.skip(updates=queryset)
        self.message_user(request, f"Skipped {skipped} customer update(s); told ones stay told.")

    @action(description="Save and mark told", permissions=["tell"])
    def save_and_mark_told(self, request, obj: CustomerUpdate) -> None:
        closing.mark_told(updates=CustomerUpdate.objects.filter(pk=obj.pk), user=request.user)

    @action(description="Save and skip", permissions=["tell"])
    def save_and_skip(self, request, obj: CustomerUpdate) -> None:
        closing.skip(updates=CustomerUpdate.objects.filter(pk=obj.pk))


# --- The theme page: the loop's figures -----------------------------------------------------------------------------


@admin.display(description="closing the loop")
def closing_the_loop(model_admin, obj: Theme) -> str:
    """The theme's loop figures (one query) and a link to its customer updates."""
    if obj.pk is None or obj.status != ThemeStatus.SHIPPED:
        return "Not shipped yet: when it ships, every customer who asked gets an update from their account owner."
    figures = loop_figures.theme_loop_figures(theme=obj, today=timezone.localdate())
    url = reverse("admin:launches_customerupdate_changelist") + f"?{ONE_THEME}={obj.pk}"
    return format_html('{} · <a href="{}">customer updates</a>', loop_figures.describe(figures), url)


ThemeAdmin.closing_the_loop = closing_the_loop
ThemeAdmin.readonly_fields = [*ThemeAdmin.readonly_fields, "shipped_at", "closing_the_loop"]
ThemeAdmin.fieldsets = [*ThemeAdmin.fieldsets, ("Closing the loop", {"fields": ["shipped_at", "closing_the_loop"]})]
