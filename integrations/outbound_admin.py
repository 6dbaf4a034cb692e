"""The admin of outbound automations (``integrations.outbound``): rules, the outbox of actions, and each feedback
item's tracker link.

- **Outbound rules**: conditions (category, priority, product: none ticked means any), Linear or GitHub, where, and
  whether it sends (off: dry run). The list says what each rule *would have opened* while off and what it opened;
  once a rule is switched on, "Open issues for the dry runs" has a worker open what it would have opened and still
  matches (the rule's history says what was opened).
- **Outbound actions**: the outbox, filtered by status, kind and rule; "Retry now" on failed ones; the CRM
  "feedback addressed" rows exported as CSV for a CRM without an API.
- **The item's page** gains a "Tracker" section linking to the issue opened for it; "Run outbound rules now" evaluates
  the rules for a selection. A person's new category, priority or product (form or grid) is not handled here: saving
  goes through ``feedback.services.save_feedback``, which emits ``feedback.triaged`` as every other door does, and
  that event is the one way rules run on a change (a second path here evaluated the item twice).

Imported once by ``integrations/admin.py``.
"""

from __future__ import annotations

import io
from functools import partial

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator
from unfold.decorators import action, display
from unfold.widgets import UnfoldAdminCheckboxSelectMultipleWidget

from feedback.admin import FeedbackItemAdmin
from feedback.choices import Category, Priority, Product
from feedbackhub.admin_tools import HubModelAdmin, ReadOnlyAdminMixin, queue_from_admin
from feedbackhub.formatting import link, pill
from integrations import outbound, outbound_tasks
from integrations.choices import OutboundKind, OutboundStatus
from integrations.models import OutboundAction, OutboundRule

STATUS_COLOURS = {
    OutboundStatus.DRY_RUN: "grey",
    OutboundStatus.PENDING: "amber",
    OutboundStatus.SENT: "green",
    OutboundStatus.FAILED: "red",
}
RUN_NOW_LIMIT = 5000  # items one "Run outbound rules now" evaluates (a bigger selection: narrow it, or let triage)
CHANGE_ACTIONS = "integrations.change_outboundaction"


def _choices(field_choices) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        choices=field_choices,
        required=False,
        widget=UnfoldAdminCheckboxSelectMultipleWidget,
        help_text="None ticked: any.",
    )


class OutboundRuleForm(forms.ModelForm):
    """Conditions as tick boxes (an item must meet each one); the target checked against the kind."""

    categories = _choices(Category.choices)
    priorities = _choices(Priority.choices)
    products = _choices(Product.choices)

    class Meta:
        model = OutboundRule
        fields = ["name", "kind", "target", "enabled", "position", "categories", "priorities", "products"]
        labels = {"enabled": "Switched on (sends issues)"}

    def clean(self):
        cleaned = super().clean()
        problem = outbound.check_target(kind=cleaned.get("kind", ""), target=cleaned.get("target", ""))
        if problem:
            self.add_error("target", problem)
        if cleaned.get("target"):
            cleaned["target"] = cleaned["target"].strip()
        return cleaned


@admin.register(OutboundRule)
class OutboundRuleAdmin(HubModelAdmin):
    """Seed 001's "Bugs auto-create Linear issues": first matching rule wins; off means dry run."""

    form = OutboundRuleForm
    list_display = ["position", "name", "kind", "conditions", "target", "mode", "would_have_opened", "opened_count"]
    list_display_links = ["name"]
    list_filter = ["enabled", "kind"]
    search_fields = ["name", "target"]
    ordering = ["position", "id"]
    actions = ["switch_on", "switch_off", "open_dry_runs"]
    offers_saved_views = False
    fieldsets = [
        (None, {"fields": ["name", "kind", "target", "enabled", "position"]}),
        (
            "Conditions (an item must meet each; first matching rule wins)",
            {"fields": ["categories", "priorities", "products"]},
        ),
    ]

    def get_queryset(self, request) -> QuerySet:
        return outbound.with_counts(super().get_queryset(request))

    def get_fieldsets(self, request, obj=None):
        """A new rule has no on switch: it starts as a dry run, and "Switch on" (logged) is the way to make it send,
        once its would-have-opened list has been read."""
        if obj is not None:
            return self.fieldsets
        first, *rest = self.fieldsets
        name, options = first
        return [(name, {**options, "fields": [f for f in options["fields"] if f != "enabled"]}), *rest]

    def save_model(self, request, obj: OutboundRule, form, change: bool) -> None:
        if not change:
            obj.enabled = False  # whatever was posted: the form above has no such field
        super().save_model(request, obj, form, change)

    @admin.display(description="when")
    def conditions(self, obj: OutboundRule) -> str:
        parts = [
            " or ".join(str(choices(value).label) for value in values)
            for choices, values in ((Category, obj.categories), (Priority, obj.priorities), (Product, obj.products))
            if values
        ]
        return " · ".join(parts) or "any item"

    @display(description="mode", label={"live": "success", "dry run": "warning"})
    def mode(self, obj: OutboundRule) -> str:
        return "live" if obj.enabled else "dry run"

    @admin.display(description="would have opened", ordering="dry_runs")
    def would_have_opened(self, obj: OutboundRule) -> str:
        return f"{obj.dry_runs:,}"

    @admin.display(description="opened", ordering="opened")
    def opened_count(self, obj: OutboundRule) -> str:
        return f"{obj.opened:,}"

    @action(description="Switch on (send issues)", permissions=["change"])
    def switch_on(self, request, queryset: QuerySet) -> None:
        changed = outbound.set_rules_enabled(rules_qs=queryset, enabled=True, user=request.user)
        self.message_user(
            request, f"Switched on {changed:,} rule(s): matching items now open issues.", messages.SUCCESS
        )

    @action(description="Switch off (dry run)", permissions=["change"])
    def switch_off(self, request, queryset: QuerySet) -> None:
        changed = outbound.set_rules_enabled(rules_qs=queryset, enabled=False, user=request.user)
        self.message_user(request, f"Switched off {changed:,} rule(s): they only record what they would open.")

    @action(description="Open issues for the dry runs", permissions=["change"])
    def open_dry_runs(self, request, queryset: QuerySet) -> None:
        """For each selected rule that is switched on, queue the opening of the issues its dry runs recorded (the
        ``outbound_tasks.open_dry_runs`` task calls ``outbound.open_dry_runs``: evaluated again, so an item that no
        longer matches, or already has an issue, gets none). A worker runs it, not this request: after weeks of dry
        run a rule has tens of thousands of rows. Its summary goes to the rule's history. A rule still off is named
        and skipped."""
        chosen = list(queryset.order_by("position", "id"))
        if off := [rule.name for rule in chosen if not rule.enabled]:
            self.message_user(
                request,
                f"Still dry runs, nothing opened for: {', '.join(off)}. Switch a rule on first, then open its "
                "dry runs.",
                messages.ERROR,
            )
        for rule in chosen:
            if not rule.enabled:
                continue
            self._queue_opening(request, rule)  # no transaction is open here: the rule is committed

    def _queue_opening(self, request, rule: OutboundRule) -> None:
        send = partial(outbound_tasks.open_dry_runs.apply_async, (rule.pk, request.user.pk), retry=False)
        if queue_from_admin(self, request, send, what=f"the opening of the dry runs of “{rule.name}”"):
            self.message_user(
                request,
                f"Opening the dry runs of “{rule.name}” in the background; its history will say what was opened.",
                messages.SUCCESS,
            )


@admin.register(OutboundAction)
class OutboundActionAdmin(ReadOnlyAdminMixin, HubModelAdmin):
    """The outbox: every tracker issue and CRM update, whether it was sent, and why not yet."""

    list_display = [
        "key",
        "kind",
        "status_pill",
        "item_link",
        "customer",
        "rule",
        "attempts",
        "next_attempt_at",
        "external_link",
        "error_start",
        "created_at",
    ]
    list_filter = ["status", "kind", "rule"]
    list_select_related = ["rule", "customer"]
    search_fields = ["=key", "=external_id"]
    actions = ["retry_selected", "export_crm_csv"]
    offers_saved_views = False
    readonly_fields = [
        "key",
        "kind",
        "status",
        "rule",
        "item_link",
        "theme",
        "customer",
        "payload",
        "attempts",
        "next_attempt_at",
        "last_error",
        "external_id",
        "external_link",
        "created_at",
        "sent_at",
    ]
    fields = readonly_fields

    def has_retry_permission(self, request, obj=None) -> bool:
        return request.user.has_perm(CHANGE_ACTIONS)

    @display(description="status", ordering="status")
    def status_pill(self, obj: OutboundAction) -> str:
        return pill(obj.get_status_display(), STATUS_COLOURS.get(obj.status, "grey"))

    @admin.display(description="item")
    def item_link(self, obj: OutboundAction) -> str:
        from feedback.models import FeedbackItem

        return link(FeedbackItem, obj.item_id, f"#{obj.item_id}") if obj.item_id else "—"

    @admin.display(description="issue / record")
    def external_link(self, obj: OutboundAction) -> str:
        if obj.external_url:
            return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', obj.external_url, obj.external_id)
        return obj.external_id or "—"

    @admin.display(description="last error")
    def error_start(self, obj: OutboundAction) -> str:
        return Truncator(obj.last_error).chars(80) or "—"

    @action(description="Retry now (failed ones)", permissions=["retry"])
    def retry_selected(self, request, queryset: QuerySet) -> None:
        retried = outbound.retry_actions(ids=queryset.values_list("pk", flat=True), user=request.user)
        self.message_user(request, f"{retried:,} failed action(s) will be sent again now.", messages.SUCCESS)

    @action(description="Export CRM “feedback addressed” as CSV (marks them sent)", permissions=["retry"])
    def export_crm_csv(self, request, queryset: QuerySet):
        out = io.StringIO()
        count = outbound.export_crm_addressed(out=out, ids=queryset.values_list("pk", flat=True))
        if not count:
            self.message_user(request, "No pending CRM “feedback addressed” row among the selection.", messages.WARNING)
            return None
        response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
        name = f"crm-feedback-addressed-{timezone.localdate():%Y-%m-%d}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


# --- The feedback item's page and list --------------------------------------------------------------------------------


@admin.display(description="tracker issue")
def tracker_issue(self, obj) -> str:
    """The issue opened for the item (or what a dry-run rule would have opened), linked to the tracker."""
    if obj is None or obj.pk is None:
        return "—"
    actions = list(
        OutboundAction.objects.filter(item_id=obj.pk)
        .exclude(kind=OutboundKind.CRM_ADDRESSED)
        .select_related("rule")
        .order_by("-created_at")[:5]
    )
    if not actions:
        return "No rule has matched this item."
    return format_html_join(
        "",
        "<div>{} {} — {} ({})</div>",
        (
            (
                pill(action.get_status_display(), STATUS_COLOURS.get(action.status, "grey")),
                format_html(
                    '<a href="{}" target="_blank" rel="noopener">{}</a>', action.external_url, action.external_id
                )
                if action.external_url
                else action.get_kind_display(),
                action.rule.name if action.rule else "rule deleted",
                link(OutboundAction, action.pk, "outbox row"),
            )
            for action in actions
        ),
    )


@action(description="Run outbound rules now", permissions=["change"])
def run_outbound_rules(modeladmin, request, queryset: QuerySet) -> None:
    ids = list(queryset.order_by().values_list("pk", flat=True)[: RUN_NOW_LIMIT + 1])
    if len(ids) > RUN_NOW_LIMIT:
        modeladmin.message_user(request, f"Select at most {RUN_NOW_LIMIT:,} items.", messages.ERROR)
        return
    result = outbound.evaluate_items(item_ids=ids)
    modeladmin.message_user(
        request,
        f"{len(result.queued):,} issue(s) queued, {result.dry_runs:,} dry run(s) recorded, "
        f"{result.already:,} already had an issue, {result.unmatched:,} matched no rule.",
        messages.SUCCESS,
    )


FeedbackItemAdmin.tracker_issue = tracker_issue
FeedbackItemAdmin.readonly_fields = [*FeedbackItemAdmin.readonly_fields, "tracker_issue"]
FeedbackItemAdmin.fieldsets = [*FeedbackItemAdmin.fieldsets, ("Tracker", {"fields": ["tracker_issue"]})]
FeedbackItemAdmin.actions = [*FeedbackItemAdmin.actions, run_outbound_rules]
