"""The outbox in the admin: every message the hub sends, whether it went out, and why not when it did not.

Read-only: a notification is a record of what was (or will be) sent, changed only by delivery and by "Retry now"
(``notifications.delivery.retry``), from the list (bulk action) or from a failed notification's page. The weekly
digests have their own admin (not here).
"""

from __future__ import annotations

import json

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.db.models.functions import Left
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.timesince import timeuntil
from unfold.decorators import action, display

from feedbackhub.admin_tools import HubChangeList, HubModelAdmin, ReadOnlyAdminMixin
from notifications import delivery
from notifications.choices import Status
from notifications.models import Notification

PREVIEW_CHARS = 120
STATUS_COLOURS = {
    Status.PENDING: "info",
    Status.SENDING: "warning",
    Status.SENT: "success",
    Status.FAILED: "danger",
}


class OutboxChangeList(HubChangeList):
    """The list reads the first characters of the body and of the error, not whole digests."""

    def get_queryset(self, request, exclude_parameters=None):
        rows = super().get_queryset(request, exclude_parameters)
        return rows.defer("body", "blocks", "last_error").annotate(
            body_preview=Left("body", PREVIEW_CHARS), error_preview=Left("last_error", PREVIEW_CHARS)
        )


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) < PREVIEW_CHARS else f"{text[: PREVIEW_CHARS - 1]}…"


def state_text(notification: Notification) -> str:
    """The status as a person reads it: "retrying (try 3 of 8)" rather than "pending"."""
    if notification.status == Status.PENDING and notification.attempts:
        return f"retrying (tried {notification.attempts}×)"
    if notification.status == Status.FAILED:
        return f"failed after {notification.attempts} {'try' if notification.attempts == 1 else 'tries'}"
    return notification.get_status_display().lower()


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdminMixin, HubModelAdmin):
    """The outbox: alerts, digests, escalations and customer updates, by status; failed ones retried from here."""

    list_display = [
        "message",
        "kind",
        "channel",
        "recipient",
        "state",
        "next_try",
        "error",
        "created_at",
        "sent_at",
    ]
    list_display_links = ["message"]
    list_filter = ["status", "kind", "channel"]  # choices: no SELECT DISTINCT over the table
    search_fields = ["recipient", "subject"]
    ordering = ["-id"]  # newest first, read backwards along the primary key (no sort at any size)
    sortable_by = ()  # a column sort would sort the whole outbox; filters and search narrow it instead
    actions = ["retry_selected"]
    actions_detail = ["retry_one"]
    offers_saved_views = False
    fieldsets = [
        ("Message", {"fields": ["kind", "channel", "recipient", "subject", "body_text", "blocks_json"]}),
        (
            "Delivery",
            {"fields": ["delivery_state", "attempts", "next_try", "created_at", "sent_at", "error_text", "key"]},
        ),
    ]
    readonly_fields = [
        "kind",
        "channel",
        "recipient",
        "subject",
        "body_text",
        "blocks_json",
        "delivery_state",
        "attempts",
        "next_try",
        "created_at",
        "sent_at",
        "error_text",
        "key",
    ]

    def get_changelist(self, request, **kwargs):
        return OutboxChangeList

    def has_retry_permission(self, request, object_id=None) -> bool:
        """Who may change notifications may retry them; on a notification's page, only a failed one."""
        if not request.user.has_perm("notifications.change_notification"):
            return False
        if object_id is None:
            return True
        return Notification.objects.filter(pk=object_id, status=Status.FAILED).exists()

    @action(description="Retry now", permissions=["retry"])
    def retry_selected(self, request, queryset: QuerySet) -> None:
        retried = delivery.retry(queryset.values_list("pk", flat=True), request.user)
        if retried:
            self.message_user(request, f"Retrying {retried:,} failed notification(s) now.", messages.SUCCESS)
        else:
            self.message_user(
                request,
                "Nothing to retry: only failed notifications are retried (the others are on their way).",
                messages.WARNING,
            )

    @action(description="Retry now", url_path="retry", icon="replay", permissions=["retry"])
    def retry_one(self, request, object_id: str):
        """GET: what retrying does; POST: retry (a link never changes anything)."""
        notification = self.get_object(request, object_id)
        if notification is None:
            raise Http404("No such notification.")
        change_url = reverse("admin:notifications_notification_change", args=[notification.pk])
        if request.method == "POST":
            if delivery.retry([notification.pk], request.user):
                self.message_user(request, f"Retrying “{notification}” now.", messages.SUCCESS)
            else:
                self.message_user(request, f"“{notification}” is no longer failed: nothing to retry.", messages.INFO)
            return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Retry “{notification}”?",
            "opts": self.opts,
            "notification": notification,
            "change_url": change_url,
        }
        return TemplateResponse(request, "notifications/retry_confirm.html", context)

    # --- Columns ------------------------------------------------------------------------------------------------------

    @admin.display(description="message")
    def message(self, obj: Notification) -> str:
        return obj.subject or _short(getattr(obj, "body_preview", None) or obj.body)

    @display(description="status", label=STATUS_COLOURS)
    def state(self, obj: Notification) -> tuple[str, str]:
        return obj.status, state_text(obj)

    @admin.display(description="next try")
    def next_try(self, obj: Notification) -> str:
        """ "due now" or "in 4 minutes": when a person reads the list, how long it waits says more than a date."""
        if obj.status not in (Status.PENDING, Status.SENDING):
            return "—"
        if obj.next_attempt_at <= timezone.now():
            return "due now"
        return f"in {timeuntil(obj.next_attempt_at, depth=1)}"

    @admin.display(description="last error")
    def error(self, obj: Notification) -> str:
        text = getattr(obj, "error_preview", None)
        return _short(text if text is not None else obj.last_error) or "—"

    # --- The notification's page --------------------------------------------------------------------------------------

    @admin.display(description="body")
    def body_text(self, obj: Notification) -> str:
        return format_html('<pre style="white-space:pre-wrap;margin:0">{}</pre>', obj.body)

    @admin.display(description="Slack blocks")
    def blocks_json(self, obj: Notification) -> str:
        if not obj.blocks:
            return "—"
        return format_html('<pre style="white-space:pre-wrap;margin:0">{}</pre>', json.dumps(obj.blocks, indent=2))

    @admin.display(description="status")
    def delivery_state(self, obj: Notification) -> str:
        text = state_text(obj)
        if obj.status == Status.FAILED:
            return f"{text}: fix the cause below, then “Retry now” at the top of this page"
        if obj.status == Status.SENDING:
            return f"{text}: a worker is delivering it; if that worker died, it is sent again after its lease ends"
        return text

    @admin.display(description="last error")
    def error_text(self, obj: Notification) -> str:
        if not obj.last_error:
            return "—"
        return format_html('<pre style="white-space:pre-wrap;margin:0">{}</pre>', obj.last_error)


from notifications import digests_admin  # noqa: E402, F401 - registers the weekly digests' admin
