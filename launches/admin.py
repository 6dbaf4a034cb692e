"""Launch admin: the calendar's records and each team's checklist."""

from django import forms
from django.contrib import admin
from django.db.models import Count, OuterRef, QuerySet
from unfold.admin import TabularInline

from feedbackhub.admin_tools import HubModelAdmin, count_of
from launches import services
from launches.models import ChecklistItem, ChecklistTemplate, ChecklistTemplateItem, Launch


class ChecklistItemForm(forms.ModelForm):
    """A checklist row with a 'done' tick box; who ticked it and when is recorded by the service."""

    done = forms.BooleanField(required=False)

    class Meta:
        model = ChecklistItem
        fields = ["team", "title", "owner", "due_date", "done"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["done"].initial = bool(self.instance.pk and self.instance.done_at)


class ChecklistItemInline(TabularInline):
    """A launch's checklist, one row per item, grouped by team."""

    model = ChecklistItem
    form = ChecklistItemForm
    fields = ["team", "title", "owner", "due_date", "done", "done_by", "done_at"]
    readonly_fields = ["done_by", "done_at"]
    autocomplete_fields = ["owner"]
    extra = 0


@admin.register(Launch)
class LaunchAdmin(HubModelAdmin):
    """Launches by date, with checklist progress."""

    list_display = ["name", "launch_type", "status", "team", "owner", "target_date", "checklist"]
    list_filter = ["status", "team", "launch_type"]
    search_fields = ["name", "description"]
    list_select_related = ["owner"]
    autocomplete_fields = ["owner", "themes"]
    inlines = [ChecklistItemInline]
    fieldsets = [
        (None, {"fields": ["name", "launch_type", "status", "team", "owner", "description"]}),
        ("Dates", {"fields": ["start_date", "target_date", "shipped_on"]}),
        ("Links", {"fields": ["themes", "tracker_keys"]}),
    ]

    def get_queryset(self, request) -> QuerySet:
        items = ChecklistItem.objects.filter(launch=OuterRef("pk"))
        return (
            super()
            .get_queryset(request)
            .annotate(
                items_total=count_of(items, by="launch"),
                items_done=count_of(items.filter(done_at__isnull=False), by="launch"),
            )
        )

    @admin.display(description="checklist", ordering="items_done")
    def checklist(self, obj: Launch) -> str:
        return f"{obj.items_done}/{obj.items_total}" if obj.items_total else "—"

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        launch = form.instance
        if not change or "launch_type" in form.changed_data:
            services.generate_checklist(launch=launch)
        elif "target_date" in form.changed_data:
            services.shift_due_dates(launch=launch)

    def save_formset(self, request, form, formset, change) -> None:
        items = formset.save()
        for inline_form in formset.forms:
            if inline_form.instance.pk and "done" in inline_form.cleaned_data:
                services.set_item_done(
                    item=inline_form.instance, done=inline_form.cleaned_data["done"], user=request.user
                )
        return items


class ChecklistTemplateItemInline(TabularInline):
    """The items of a template."""

    model = ChecklistTemplateItem
    fields = ["team", "position", "title", "due_days_before"]
    extra = 0


@admin.register(ChecklistTemplate)
class ChecklistTemplateAdmin(HubModelAdmin):
    """One template per launch type; new launches copy it."""

    list_display = ["launch_type", "item_count", "updated_at"]
    inlines = [ChecklistTemplateItemInline]

    def get_queryset(self, request) -> QuerySet:
        return super().get_queryset(request).annotate(item_count=Count("items"))

    @admin.display(description="items", ordering="item_count")
    def item_count(self, obj: ChecklistTemplate) -> int:
        return obj.item_count
