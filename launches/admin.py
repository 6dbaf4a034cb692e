"""Launch admin: the launches with their checklist progress, calendar and timeline, and each team's checklist."""

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from unfold.admin import TabularInline
from unfold.decorators import action, display

from feedbackhub.admin_tools import HubModelAdmin
from launches import customer_updates_admin, services, views  # noqa: F401 — customer_updates_admin registers itself
from launches.choices import LaunchStatus
from launches.models import ChecklistItem, ChecklistTemplate, ChecklistTemplateItem, Launch

STATUS_VARIANTS = {
    LaunchStatus.IN_DEV: "primary",
    LaunchStatus.BETA: "info",
    LaunchStatus.AT_RISK: "danger",
    LaunchStatus.SHIPPED: "success",
}


class ChecklistItemForm(forms.ModelForm):
    """A checklist row with a 'done' tick box; who ticked it and when is recorded by the service.

    Ticking or unticking follows the team rule (``services.tick_refusal``): a change to another team's item is a
    validation error, so nothing of the launch form is saved. ``user`` is set per request by the inline.
    """

    done = forms.BooleanField(required=False)
    user = None
    owner_choices = None  # read once per request by the inline: no query per row

    class Meta:
        model = ChecklistItem
        fields = ["team", "title", "owner", "due_date", "done"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["done"].initial = bool(self.instance.pk and self.instance.done_at)
        if self.owner_choices is not None:
            self.fields["owner"].choices = self.owner_choices
        if self.instance.pk and not services.can_tick(self.user, self.instance):
            # Shown as it is, not clickable (a submitted change is still refused in clean()).
            self.fields["done"].widget.attrs.update(
                {
                    "onclick": "return false",
                    "aria-disabled": "true",
                    "title": services.tick_refusal(self.user, self.instance),
                }
            )

    def clean(self):
        cleaned = super().clean()
        if "done" not in cleaned or cleaned["done"] == self.fields["done"].initial:
            return cleaned
        # The item as stored (clean() runs before the form's values reach the instance), and as it would be saved.
        items = [self.instance] if self.instance.pk else []
        if cleaned.get("team"):
            items.append(ChecklistItem(team=cleaned["team"], title=cleaned.get("title") or self.instance.title))
        for item in items:
            if reason := services.tick_refusal(self.user, item):
                raise forms.ValidationError(reason, code="other_team")
        return cleaned


class ChecklistItemInline(TabularInline):
    """A launch's checklist for editing (titles, owners, due dates, extra items), in its own tab.

    Ticking is quicker in the checklist panel at the top of the page; a tick here follows the same team rule.
    """

    model = ChecklistItem
    form = ChecklistItemForm
    fields = ["team", "title", "owner", "due_date", "done", "done_by", "done_at"]
    readonly_fields = ["done_by", "done_at"]
    extra = 0
    tab = True
    hide_title = True
    verbose_name_plural = "edit checklist"

    def get_formset(self, request, obj=None, **kwargs):
        kwargs["form"] = type(
            "ChecklistItemForm", (self.form,), {"user": request.user, "owner_choices": self.owner_choices(obj)}
        )
        return super().get_formset(request, obj, **kwargs)

    @staticmethod
    def owner_choices(launch: Launch | None) -> list[tuple]:
        """Who may own an item: active staff, and whoever owns one of this launch's items now (one query)."""
        owners_now = Q(checklist_items__launch=launch) if launch is not None else Q(pk__in=[])
        people = get_user_model().objects.filter(Q(is_staff=True, is_active=True) | owners_now)
        people = people.distinct().order_by("first_name", "last_name", "username")
        return [("", "---------"), *((person.pk, person.get_full_name() or person.get_username()) for person in people)]

    def get_queryset(self, request) -> QuerySet:
        return super().get_queryset(request).select_related("owner", "done_by")


@admin.register(Launch)
class LaunchAdmin(HubModelAdmin):
    """Launches by date, with checklist progress; the calendar, the timeline and the checklist are one click away."""

    list_display = ["name", "launch_type", "status_label", "team", "owner", "target_date", "checklist"]
    list_filter = ["status", "team", "launch_type"]
    search_fields = ["name", "description"]
    list_select_related = ["owner"]
    autocomplete_fields = ["owner", "themes"]
    inlines = [ChecklistItemInline]
    actions_list = ["calendar", "timeline"]
    actions_detail = ["checklist_page"]
    list_before_template = "admin/launches/launch/includes/styles.html"
    change_form_outer_before_template = "admin/launches/launch/change_form_checklist.html"
    fieldsets = [
        (None, {"fields": ["name", "launch_type", "status", "team", "owner", "description"]}),
        ("Dates", {"fields": ["start_date", "target_date", "shipped_on"]}),
        ("Links", {"fields": ["themes", "tracker_keys"]}),
    ]

    def get_queryset(self, request) -> QuerySet:
        return super().get_queryset(request).with_progress(today=timezone.localdate())

    def get_urls(self):
        tick = views.ChecklistTickView.as_view()
        return [
            path(
                "<int:object_id>/checklist/<int:item_id>/tick/",
                self.admin_site.admin_view(tick),
                name="launches_launch_tick",
            ),
            *super().get_urls(),
        ]

    @display(description="status", ordering="status", label=STATUS_VARIANTS)
    def status_label(self, obj: Launch) -> tuple[str, str]:
        return obj.status, obj.get_status_display()

    @admin.display(description="checklist", ordering="items_done")
    def checklist(self, obj: Launch) -> str:
        if not obj.items_total:
            return "—"
        cell = format_html(
            '<span class="lx-progress{}"><span class="lx-track-bar" role="progressbar" aria-label="checklist done"'
            ' aria-valuemin="0" aria-valuemax="{}" aria-valuenow="{}"><span style="width: {}%"></span></span>'
            "<b>{}/{}</b></span>",
            " is-complete" if obj.items_done == obj.items_total else "",
            obj.items_total,
            obj.items_done,
            obj.progress_percent,
            obj.items_done,
            obj.items_total,
        )
        if obj.shipped_with_open_items:
            cell += format_html(
                '<span class="lx-flag"><span class="material-symbols-outlined">warning</span>shipped, {} open</span>',
                obj.items_open,
            )
        elif obj.items_overdue:
            cell += format_html(
                '<span class="lx-flag is-red"><span class="material-symbols-outlined">schedule</span>{} overdue</span>',
                obj.items_overdue,
            )
        return format_html('<span class="lx lx-cell">{}</span>', cell)

    @action(description="Calendar", url_path="calendar", icon="calendar_month", permissions=["view"])
    def calendar(self, request: HttpRequest) -> HttpResponse:
        return views.LaunchCalendarView.as_view(model_admin=self)(request)

    @action(description="Timeline", url_path="timeline", icon="view_timeline", permissions=["view"])
    def timeline(self, request: HttpRequest) -> HttpResponse:
        return views.LaunchTimelineView.as_view(model_admin=self)(request)

    @action(description="Checklist", url_path="checklist", icon="checklist", permissions=["view"])
    def checklist_page(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return views.LaunchChecklistView.as_view(model_admin=self)(request, object_id=object_id)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        launch = self.get_object(request, object_id)
        if launch is not None:
            extra_context = {**(extra_context or {}), **views.checklist_context(launch=launch, request=request)}
            extra_context["calendar_url"] = reverse("admin:launches_launch_calendar")
        return super().change_view(request, object_id, form_url, extra_context)

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        services.launch_changed(
            launch=form.instance,
            type_changed=not change or "launch_type" in form.changed_data,
            target_moved="target_date" in form.changed_data,
        )

    def save_formset(self, request, form, formset, change) -> None:
        items = formset.save()
        for inline_form in formset.forms:
            if inline_form.instance.pk and "done" in inline_form.changed_data:
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
