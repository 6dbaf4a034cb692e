"""The domain events in the admin: what happened, whether the apps above have acted on it, and why not when failing.

Read-only. "Process now" runs an event's handlers through ``feedbackhub.events.process`` — the same call as the task
and the minute sweep, so a processed event is never processed again and a failing one keeps its error. It is how a
person sends an event the sweep gave up on (``events.MAX_ATTEMPTS``) once its cause is fixed.
Registered by ``feedbackhub.admin``.
"""

from __future__ import annotations

import json

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.db.models.functions import Left
from django.utils.html import format_html
from unfold.decorators import action, display

from feedbackhub import events
from feedbackhub.admin_tools import HubChangeList, HubModelAdmin, ReadOnlyAdminMixin
from feedbackhub.models import DomainEvent

PREVIEW_CHARS = 120
PROCESS_NOW_LIMIT = 200  # "Process now" handles this many in the request; the sweep handles the rest


class EventStateFilter(admin.SimpleListFilter):
    """Processed, unprocessed (waiting for the task or the sweep), or failing (unprocessed, with an error)."""

    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("processed", "Processed"), ("unprocessed", "Unprocessed"), ("failing", "Failing")]

    def queryset(self, request, queryset):
        if self.value() == "processed":
            return queryset.filter(processed_at__isnull=False)
        if self.value() == "unprocessed":
            return queryset.filter(processed_at__isnull=True)  # domain_event_pending_idx
        if self.value() == "failing":
            return queryset.filter(processed_at__isnull=True, attempts__gt=0)
        return queryset


class EventChangeList(HubChangeList):
    """The list reads the first characters of the error only."""

    def get_queryset(self, request, exclude_parameters=None):
        rows = super().get_queryset(request, exclude_parameters)
        return rows.defer("last_error").annotate(error_preview=Left("last_error", PREVIEW_CHARS))


@admin.register(DomainEvent)
class DomainEventAdmin(ReadOnlyAdminMixin, HubModelAdmin):
    """Events such as theme.shipped: their handlers' progress, and "Process now" for the ones that wait or fail."""

    list_display = ["name", "key", "created_at", "state", "processed_at", "attempts", "error"]
    list_display_links = ["key"]
    list_filter = [EventStateFilter]
    search_fields = ["=key"]
    ordering = ["-id"]
    sortable_by = ()  # newest first along the primary key; filters narrow the list
    actions = ["process_selected"]
    offers_saved_views = False
    fields = ["name", "key", "created_at", "processed_at", "attempts", "payload_json", "error_text"]
    readonly_fields = fields

    def get_changelist(self, request, **kwargs):
        return EventChangeList

    def has_process_permission(self, request) -> bool:
        return request.user.has_perm("feedbackhub.change_domainevent")

    @action(description="Process now", permissions=["process"])
    def process_selected(self, request, queryset: QuerySet) -> None:
        ids = list(queryset.filter(processed_at__isnull=True).order_by("id").values_list("pk", flat=True))
        done, failed = 0, []
        for event_id in ids[:PROCESS_NOW_LIMIT]:
            try:
                done += events.process(event_id)
            except Exception as error:  # noqa: BLE001 — recorded on the event by process(); shown to the person
                failed.append(f"#{event_id}: {type(error).__name__}: {error}")
        if done:
            self.message_user(request, f"Processed {done:,} event(s).", messages.SUCCESS)
        if failed:
            self.message_user(request, f"{len(failed):,} failed again: " + "; ".join(failed[:5]), messages.ERROR)
        left = len(ids) - done - len(failed)
        if left > 0:
            self.message_user(
                request,
                f"{left:,} not processed now (busy elsewhere, or past the first {PROCESS_NOW_LIMIT}): the sweep will.",
                messages.WARNING,
            )
        if not ids:
            self.message_user(request, "Nothing to process: the selected events were processed already.", messages.INFO)

    @display(description="state", label={"processed": "success", "waiting": "info", "failing": "danger"})
    def state(self, obj: DomainEvent) -> tuple[str, str]:
        if obj.processed_at:
            return "processed", "processed"
        if obj.attempts:
            gave_up = obj.attempts >= events.MAX_ATTEMPTS
            return "failing", f"failing ({obj.attempts}×{', sweep gave up' if gave_up else ''})"
        return "waiting", "waiting"

    @admin.display(description="last error")
    def error(self, obj: DomainEvent) -> str:
        text = " ".join((getattr(obj, "error_preview", None) or "").split())
        return text or "—"

    @admin.display(description="payload")
    def payload_json(self, obj: DomainEvent) -> str:
        return format_html('<pre style="white-space:pre-wrap;margin:0">{}</pre>', json.dumps(obj.payload, indent=2))

    @admin.display(description="last error")
    def error_text(self, obj: DomainEvent) -> str:
        if not obj.last_error:
            return "—"
        return format_html('<pre style="white-space:pre-wrap;margin:0">{}</pre>', obj.last_error)
