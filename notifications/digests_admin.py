"""The weekly digests in the admin: every digest as written (week, audience, owner, words, writer), read as a page.

Read-only: a digest is a record of what was sent. "Write this week's digest now" queues the digest job for a worker
(``notifications.digests.queue_weekly_digests``), never in the request: reading the week and a Mistral call take
seconds to a minute. The job writes only the digests of the week not written yet, so pressing twice sends nothing
twice.
"""

from __future__ import annotations

import json

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from unfold.decorators import action, display

from feedbackhub.admin_tools import HubChangeList, HubModelAdmin, ReadOnlyAdminMixin
from notifications import digests
from notifications.choices import DigestAudience
from notifications.digest_markup import to_html
from notifications.models import Digest, Notification

AUDIENCE_COLOURS = {DigestAudience.PRODUCT: "info", DigestAudience.ACCOUNT_OWNER: "success"}


class DigestChangeList(HubChangeList):
    """The list reads neither the digests' text nor their figures: only the page does."""

    def get_queryset(self, request, exclude_parameters=None):
        return super().get_queryset(request, exclude_parameters).defer("body", "facts")


@admin.register(Digest)
class DigestAdmin(ReadOnlyAdminMixin, HubModelAdmin):
    """The digests, newest week first; each one's page shows the digest as its readers read it."""

    list_display = ["title", "week", "audience_pill", "owner", "word_count", "writer", "created_at"]
    list_filter = ["audience", "period_end"]
    list_select_related = ["owner"]
    search_fields = ["title", "owner__username", "owner__email"]
    ordering = ["-period_end", "audience", "id"]
    actions_list = ["write_now"]
    offers_saved_views = False
    fieldsets = [
        (None, {"fields": ["digest"]}),
        ("About this digest", {"fields": ["week", "audience", "owner", "writer", "word_count", "sent", "created_at"]}),
        ("The figures it was written from", {"fields": ["facts_json"], "classes": ["collapse"]}),
    ]
    readonly_fields = [
        "digest",
        "week",
        "audience",
        "owner",
        "writer",
        "word_count",
        "sent",
        "created_at",
        "facts_json",
    ]

    def get_changelist(self, request, **kwargs):
        return DigestChangeList

    def has_write_permission(self, request) -> bool:
        return request.user.has_perm("notifications.add_digest") or request.user.has_perm(
            "notifications.change_notification"
        )

    # --- Columns and fields -------------------------------------------------------------------------------------------

    @admin.display(description="week", ordering="period_end")
    def week(self, obj: Digest) -> str:
        return f"{obj.period_start:%a %d %b} – {obj.period_end:%a %d %b %Y}"

    @display(description="audience", label=AUDIENCE_COLOURS)
    def audience_pill(self, obj: Digest) -> tuple[str, str]:
        return obj.audience, obj.get_audience_display()

    @admin.display(description="digest")
    def digest(self, obj: Digest) -> str:
        return format_html(
            '<div class="digest-body" style="max-width:48rem;line-height:1.5">{}</div>', to_html(obj.body)
        )

    @admin.display(description="figures (JSON)")
    def facts_json(self, obj: Digest) -> str:
        return format_html('<pre style="white-space:pre-wrap;margin:0">{}</pre>', json.dumps(obj.facts, indent=2))

    @admin.display(description="sent")
    def sent(self, obj: Digest) -> str:
        """Its message in the outbox, with its delivery status (a digest is sent once: one outbox key per week)."""
        suffix = "product" if obj.owner_id is None else f"owner:{obj.owner_id}"
        note = Notification.objects.filter(key=f"digest:{obj.period_end}:{suffix}").only("pk", "status").first()
        if note is None:
            return "—"
        url = reverse("admin:notifications_notification_change", args=[note.pk])
        return format_html('<a href="{}">{} ({})</a>', url, note, note.get_status_display().lower())

    # --- Write this week's digest now -------------------------------------------------------------------------------

    @action(description="Write this week's digest now", url_path="write", icon="edit_note", permissions=["write"])
    def write_now(self, request: HttpRequest) -> HttpResponse:
        """GET: what the job does; POST: queue it (a link never writes anything)."""
        changelist = reverse("admin:notifications_digest_changelist")
        period = digests.period_for(digests.default_period_end())
        if request.method == "POST":
            if digests.queue_weekly_digests():
                self.message_user(
                    request,
                    f"The digests of {digests.week_text(period)} are being written: they appear in this list in a "
                    "minute (those already written are not written or sent again).",
                    messages.SUCCESS,
                )
            else:
                self.message_user(
                    request,
                    "Could not queue the digests: the task queue (Redis) is unreachable. Nothing was written; try "
                    "again when it is back (the digest also runs every Friday at 16:00 UTC).",
                    messages.ERROR,
                )
            return HttpResponseRedirect(changelist)
        written = Digest.objects.filter(period_end=period.end).count()
        context = {
            **self.admin_site.each_context(request),
            "title": "Write this week's digest now",
            "opts": self.opts,
            "week": digests.week_text(period),
            "written": written,
            "changelist": changelist,
        }
        return TemplateResponse(request, "notifications/digest_write_confirm.html", context)
