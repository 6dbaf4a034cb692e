"""Escalation admin (seed 004): the rules, editable, and the escalations CS and PMs work through.

The list opens on what needs attention (open and acknowledged), newest first; "Mine" narrows it to the escalations
one owns (``?whose=mine``, the sidebar's "My escalations"). Acknowledge and resolve are actions on the list and on
each escalation's page; resolving asks for resolution notes on a small page of its own. Every change goes through
``insights.escalation_services``.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db.models import Case, Count, Prefetch, Q, QuerySet, Value, When
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.timesince import timesince
from unfold.contrib.filters.admin import RelatedDropdownFilter
from unfold.decorators import action, display

from customers.models import Customer
from feedbackhub.admin_tools import HubModelAdmin
from feedbackhub.formatting import link, pill
from insights import escalation_selectors, escalation_services, surveys_admin  # noqa: F401 (registers its admin)
from insights.choices import EscalationStatus, Metric, Severity
from insights.escalations import THRESHOLD_HELP
from insights.models import Escalation, EscalationRule

SEVERITY_VARIANTS = {
    Severity.CRITICAL: "danger",
    Severity.HIGH: "warning",
    Severity.MEDIUM: "info",
    Severity.LOW: "default",
}
STATUS_VARIANTS = {
    EscalationStatus.OPEN: "danger",
    EscalationStatus.ACKNOWLEDGED: "warning",
    EscalationStatus.RESOLVED: "success",
}
CUSTOMERS_SHOWN = 3


class EscalationRuleForm(forms.ModelForm):
    """A rule, with its channels as tick boxes and each metric's threshold unit spelled out."""

    channels = forms.MultipleChoiceField(
        choices=[("email", "Email to the owner"), ("slack", "Slack (CS channel; product channel for the PM)")],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Where a new escalation is announced. None: it is only listed here.",
    )

    class Meta:
        model = EscalationRule
        fields = [
            "name",
            "metric",
            "threshold",
            "comparison",
            "period_days",
            "severity",
            "action",
            "channels",
            "enabled",
        ]
        help_texts = {
            "threshold": format_html(
                "What the metric is compared with:<ul style='list-style:disc;margin-left:1.2rem'>{}</ul>",
                format_html_join(
                    "",
                    "<li><b>{}</b>: {}</li>",
                    ((Metric(metric).label.split(" (")[0], text) for metric, text in THRESHOLD_HELP.items()),
                ),
            ),
            "comparison": "How the metric compares with the threshold (NPS: ≤; the others: ≥ or >).",
            "period_days": "How many days back the check looks (usage drop: the length of each compared window).",
            "action": "Who acts: CS, the account team (churn, sales) or the theme's PM (time to verify).",
        }

    def clean(self):
        cleaned = super().clean()
        try:
            escalation_services.check_rule(
                metric=cleaned.get("metric"),
                threshold=cleaned.get("threshold"),
                comparison=cleaned.get("comparison"),
                period_days=cleaned.get("period_days"),
                channels=cleaned.get("channels") or [],
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                self.add_error(field if field in self.fields else None, errors)
        return cleaned


@admin.register(EscalationRule)
class EscalationRuleAdmin(HubModelAdmin):
    """The conditions the hourly check watches; the defaults come from seeds 001 and 004."""

    form = EscalationRuleForm
    list_display = ["name", "condition", "severity_label", "action", "channel_list", "enabled", "open_escalations"]
    list_filter = ["enabled", "metric", "severity", "action"]
    search_fields = ["name"]
    offers_saved_views = False

    def get_queryset(self, request) -> QuerySet:
        open_ = Q(escalations__status__in=escalation_services.NOT_RESOLVED)
        return super().get_queryset(request).annotate(open_count=Count("escalations", filter=open_))

    @admin.display(description="condition")
    def condition(self, obj: EscalationRule) -> str:
        return (
            f"{obj.get_metric_display().split(' (')[0]} {obj.get_comparison_display()} {obj.threshold.normalize():f}"
            f" · {obj.period_days} days"
        )

    @display(description="severity", ordering="severity", label=SEVERITY_VARIANTS)
    def severity_label(self, obj: EscalationRule):
        return obj.severity, obj.get_severity_display()

    @admin.display(description="channels")
    def channel_list(self, obj: EscalationRule) -> str:
        return ", ".join(obj.channels) or "—"

    @admin.display(description="open", ordering="open_count")
    def open_escalations(self, obj: EscalationRule) -> str:
        if not obj.open_count:
            return "0"
        url = reverse("admin:insights_escalation_changelist") + f"?rule__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, obj.open_count)


class StatusFilter(admin.SimpleListFilter):
    """Open and acknowledged by default ("needs attention"); resolved ones on request."""

    title = "status"
    parameter_name = "status"
    ALL = "all"

    def lookups(self, request, model_admin):
        return [*EscalationStatus.choices, (self.ALL, "All")]

    def choices(self, changelist):
        value = self.value()
        yield {
            "selected": value is None,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": "Needs attention (open, acknowledged)",
        }
        for lookup, title in self.lookup_choices:
            yield {
                "selected": value == str(lookup),
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset.filter(status__in=escalation_services.NOT_RESOLVED)
        if value in EscalationStatus.values:
            return queryset.filter(status=value)
        return queryset


class WhoseFilter(admin.SimpleListFilter):
    """Mine (``?whose=mine``: the sidebar's "My escalations") or nobody's."""

    title = "whose"
    parameter_name = "whose"

    def lookups(self, request, model_admin):
        return [("mine", "Mine"), ("nobody", "No owner")]

    def queryset(self, request, queryset):
        if self.value() == "mine":
            return queryset.filter(owner=request.user)
        if self.value() == "nobody":
            return queryset.filter(owner__isnull=True)
        return queryset


class ResolveForm(forms.Form):
    resolution_notes = forms.CharField(
        widget=forms.Textarea(
            attrs={
                "rows": 5,
                "style": "width:100%;border:1px solid #d1d5db;border-radius:.375rem;padding:.5rem",
                "autofocus": True,
            }
        ),
        help_text="What was done (a call, a fix, a decision). Kept with the escalation.",
    )


@admin.register(Escalation)
class EscalationAdmin(HubModelAdmin):
    """Open conditions to act on: who is affected, who owns it, how old it is."""

    list_display = ["severity_label", "summary", "customer_names", "owner_name", "status_label", "age", "rule"]
    list_display_links = ["summary"]
    list_filter = [
        StatusFilter,
        WhoseFilter,
        "severity",
        "rule",
        ("owner", RelatedDropdownFilter),
    ]
    search_fields = ["summary", "condition_key"]
    list_select_related = ["rule", "owner"]
    actions = ["acknowledge", "resolve"]
    actions_detail = ["acknowledge_one", "resolve_one"]
    autocomplete_fields = ["owner"]
    fieldsets = [
        (None, {"fields": ["summary", "severity_pill", "status_pill", "owner", "rule", "opened_at"]}),
        ("What was found", {"fields": ["facts", "customer_links", "theme_link", "feedback_link", "condition_key"]}),
        ("Resolution", {"fields": ["resolution_notes", "resolved_at", "history"]}),
    ]
    readonly_fields = [
        "summary",
        "severity_pill",
        "status_pill",
        "rule",
        "opened_at",
        "facts",
        "customer_links",
        "theme_link",
        "feedback_link",
        "condition_key",
        "resolution_notes",
        "resolved_at",
        "history",
    ]

    def get_ordering(self, request) -> list[str]:
        """The most severe first, then the newest (the rank is annotated: ``ordering`` may name fields only)."""
        return ["-severity_rank", "-opened_at", "-id"]

    def get_queryset(self, request) -> QuerySet:
        customers = Prefetch("customers", queryset=Customer.objects.only("id", "name").order_by("-arr", "id"))
        rank = Case(*(When(severity=value, then=Value(n)) for n, value in enumerate(Severity.values)), default=Value(0))
        # Annotated before ordering (ModelAdmin.get_queryset orders first, and the order needs the rank).
        queryset = self.model._default_manager.annotate(severity_rank=rank).prefetch_related(customers)
        queryset = queryset.order_by(*self.get_ordering(request))
        return escalation_selectors.visible_to(queryset, request.user)

    def has_add_permission(self, request) -> bool:
        return False  # opened by the check and the events only

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # a record of what happened: resolve it instead

    def save_model(self, request, obj: Escalation, form, change: bool) -> None:
        if "owner" in form.changed_data:
            escalation_services.assign_escalation(escalation=obj, owner=obj.owner, user=request.user)

    def get_urls(self):
        return [
            path(
                "<int:object_id>/step/<str:step>/",
                self.admin_site.admin_view(self.step_view),
                name="insights_escalation_step",
            ),
            *super().get_urls(),
        ]

    # --- Columns ------------------------------------------------------------------------------------------------------

    @display(description="severity", ordering="severity_rank", label=SEVERITY_VARIANTS)
    def severity_label(self, obj: Escalation):
        return obj.severity, obj.get_severity_display()

    @admin.display(description="severity")
    def severity_pill(self, obj: Escalation) -> str:
        return pill(obj.get_severity_display(), SEVERITY_VARIANTS.get(obj.severity, "grey"))

    @admin.display(description="status")
    def status_pill(self, obj: Escalation) -> str:
        return pill(obj.get_status_display(), STATUS_VARIANTS.get(obj.status, "grey"))

    @display(description="status", ordering="status", label=STATUS_VARIANTS)
    def status_label(self, obj: Escalation):
        return obj.status, obj.get_status_display()

    @admin.display(description="customers")
    def customer_names(self, obj: Escalation) -> str:
        customers = list(obj.customers.all())
        if not customers:
            return "—"
        names = format_html_join(", ", "{}", ((link(Customer, c.pk, c.name),) for c in customers[:CUSTOMERS_SHOWN]))
        more = len(customers) - CUSTOMERS_SHOWN
        return format_html("{} and {} more", names, more) if more > 0 else names

    @admin.display(description="owner", ordering="owner__last_name")
    def owner_name(self, obj: Escalation) -> str:
        if obj.owner is None:
            return "—"
        return obj.owner.get_full_name() or obj.owner.get_username()

    @admin.display(description="age", ordering="opened_at")
    def age(self, obj: Escalation) -> str:
        end = obj.resolved_at or timezone.now()
        return timesince(obj.opened_at, end, depth=1)

    @admin.display(description="figures")
    def facts(self, obj: Escalation) -> str:
        lines = obj.details.get("facts", [])
        return format_html_join("", "<div>{}</div>", ((line,) for line in lines)) if lines else "—"

    @admin.display(description="customers")
    def customer_links(self, obj: Escalation) -> str:
        customers = list(obj.customers.all())
        return format_html_join(", ", "{}", ((link(Customer, c.pk, c.name),) for c in customers)) or "—"

    @admin.display(description="theme")
    def theme_link(self, obj: Escalation) -> str:
        return link(obj.theme, obj.theme_id, obj.theme) if obj.theme_id else "—"

    @admin.display(description="feedback")
    def feedback_link(self, obj: Escalation) -> str:
        return link(obj.feedback, obj.feedback_id, obj.feedback) if obj.feedback_id else "—"

    @admin.display(description="history")
    def history(self, obj: Escalation) -> str:
        rows = obj.details.get("history", [])
        return (
            format_html_join(
                "", "<div>{} by {}, {}</div>", ((r["action"], r["by"], r["at"][:16].replace("T", " ")) for r in rows)
            )
            if rows
            else "—"
        )

    # --- Actions ------------------------------------------------------------------------------------------------------

    @action(description="Acknowledge (I am on it)", permissions=["change"])
    def acknowledge(self, request: HttpRequest, queryset: QuerySet) -> None:
        done = escalation_services.acknowledge_escalations(
            escalation_ids=queryset.values_list("pk", flat=True), user=request.user
        )
        self.message_user(request, f"Acknowledged {done} escalation(s); those not open were left as they were.")

    @action(description="Resolve…", permissions=["change"])
    def resolve(self, request: HttpRequest, queryset: QuerySet):
        """An intermediate page asks for the resolution notes, then resolves every selected escalation."""
        form = ResolveForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            done = escalation_services.resolve_escalations(
                escalation_ids=queryset.values_list("pk", flat=True),
                user=request.user,
                notes=form.cleaned_data["resolution_notes"],
            )
            self.message_user(request, f"Resolved {done} escalation(s).", messages.SUCCESS)
            return None
        return self._step_page(
            request,
            form,
            step="resolve",
            escalations=queryset,
            hidden={
                "action": "resolve",
                "select_across": request.POST.get("select_across", "0"),
                helpers.ACTION_CHECKBOX_NAME: request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
            },
            cancel=reverse("admin:insights_escalation_changelist"),
        )

    @action(description="Acknowledge", url_path="acknowledge", permissions=["change"])
    def acknowledge_one(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return HttpResponseRedirect(reverse("admin:insights_escalation_step", args=[object_id, "acknowledge"]))

    @action(description="Resolve…", url_path="resolve", permissions=["change"])
    def resolve_one(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return HttpResponseRedirect(reverse("admin:insights_escalation_step", args=[object_id, "resolve"]))

    def step_view(self, request: HttpRequest, object_id: int, step: str) -> HttpResponse:
        """Acknowledge or resolve one escalation: a page that says what will change (and asks for the resolution
        notes), applied on POST only."""
        escalation = get_object_or_404(self.get_queryset(request), pk=object_id)
        change_url = reverse("admin:insights_escalation_change", args=[escalation.pk])
        if step not in ("acknowledge", "resolve") or not self.has_change_permission(request, escalation):
            return HttpResponseRedirect(change_url)
        form = ResolveForm(request.POST if request.method == "POST" else None) if step == "resolve" else None
        if request.method == "POST" and step == "acknowledge":
            done = escalation_services.acknowledge_escalations(escalation_ids=[escalation.pk], user=request.user)
            self.message_user(request, "Acknowledged." if done else "Only an open escalation can be acknowledged.")
            return HttpResponseRedirect(change_url)
        if request.method == "POST" and form.is_valid():
            done = escalation_services.resolve_escalations(
                escalation_ids=[escalation.pk], user=request.user, notes=form.cleaned_data["resolution_notes"]
            )
            self.message_user(request, "Resolved." if done else "It was already resolved.", messages.SUCCESS)
            return HttpResponseRedirect(change_url)
        return self._step_page(
            request,
            form,
            step=step,
            escalations=Escalation.objects.filter(pk=escalation.pk),
            hidden={},
            cancel=change_url,
        )

    def _step_page(
        self, request, form, *, step: str, escalations: QuerySet, hidden: dict, cancel: str
    ) -> TemplateResponse:
        count = escalations.count()
        verb = "Resolve" if step == "resolve" else "Acknowledge"
        context = {
            **self.admin_site.each_context(request),
            "title": f"{verb} {count} escalations" if count > 1 else f"{verb} an escalation",
            "opts": self.model._meta,
            "form": form,
            "verb": verb,
            "escalations": escalations[:20],
            "count": count,
            "hidden": [(name, value) for name, values in hidden.items() for value in _as_list(values)],
            "cancel_url": cancel,
        }
        return TemplateResponse(request, "admin/insights/escalation/step.html", context)


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


from insights import (  # noqa: E402, F401 (register admins)
    ask_admin,
    asked_admin,
    discovery_admin,
    events_admin,
    experiments_admin,
    journeys_admin,
    kpi_admin,
    retrospectives_admin,
    technical_admin,
)
