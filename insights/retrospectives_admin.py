"""Retrospectives in the admin (issue 11, part 5): the list, a retrospective's page (narrative, findings, the figures as
tables, its backlog items with their push status), "Write retrospective" for a chosen window, "Publish" and "Push to
tracker".

Registered by ``insights.admin`` importing this module. Every rule lives in ``insights.retrospectives`` and
``insights.retro_push``: the form's window goes to ``write_retrospective`` (written now with the offline template; a
worker writes it when Mistral is the writer, a call that may take a minute), "Publish" to ``publish_retrospective``,
"Push to tracker" to ``push_backlog_item`` one item at a time (a person's push: it happens whatever ``RETRO_PUSH``),
each outcome said. A retrospective is a record: nothing of it is edited by hand.
"""

from __future__ import annotations

import json
from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from unfold.admin import TabularInline
from unfold.decorators import action, display

from feedbackhub.admin_tools import HubModelAdmin, ReadOnlyAdminMixin
from feedbackhub.formatting import pill
from insights import retro_push, retrospectives
from insights.choices import BacklogStatus, RetroKind, RetroStatus
from insights.models import RetroBacklogItem, Retrospective
from notifications.digest_markup import to_html
from notifications.digests import digest_provider

STATUS_COLOURS = {RetroStatus.DRAFT: "info", RetroStatus.PUBLISHED: "success"}
BACKLOG_COLOURS = {BacklogStatus.DRY_RUN: "default", BacklogStatus.PUSHED: "success", BacklogStatus.FAILED: "danger"}
PUSH_MESSAGES = {
    retro_push.PUSHED: ("pushed", messages.SUCCESS),
    retro_push.FOUND: ("found already open in the tracker, linked", messages.SUCCESS),
    retro_push.ALREADY: ("already pushed, left as is", messages.INFO),
    retro_push.FAILED: ("not pushed", messages.ERROR),
    retro_push.WAIT: ("not pushed yet", messages.WARNING),
}


class WriteForm(forms.Form):
    """The window of an on-demand retrospective: its kind and its first and last days (both included)."""

    kind = forms.ChoiceField(choices=RetroKind.choices, initial=RetroKind.SPRINT)
    start = forms.DateField(label="first day", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="last day", widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end"):
            try:
                data["window"] = retrospectives.window_for_days(data["start"], data["end"])
            except ValidationError as error:
                raise ValidationError(error.messages) from error
        return data


def push_messages(modeladmin, request: HttpRequest, results: list[retro_push.PushResult]) -> None:
    """One message per item pushed, found, refused or failed (with the reason)."""
    for result in results:
        verb, level = PUSH_MESSAGES.get(result.outcome, (result.outcome, messages.INFO))
        detail = ""
        if result.outcome == retro_push.FAILED:
            detail = f": {result.item.last_error}"
        elif result.outcome == retro_push.WAIT:
            detail = f": {retro_push.wait_text(result.item)}"
        elif result.item.external_key:
            detail = f" ({result.item.external_key})"
        modeladmin.message_user(request, f"“{result.item.title}”: {verb}{detail}.", level)


class BacklogInline(TabularInline):
    model = RetroBacklogItem
    fields = ["item_link", "tracker", "status_pill", "external", "last_error", "pushed_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="backlog item")
    def item_link(self, obj: RetroBacklogItem) -> str:
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:insights_retrobacklogitem_change", args=[obj.pk]), obj.title
        )

    @admin.display(description="status")
    def status_pill(self, obj: RetroBacklogItem) -> str:
        return pill(obj.get_status_display(), BACKLOG_COLOURS.get(obj.status, "grey"))

    @admin.display(description="issue")
    def external(self, obj: RetroBacklogItem) -> str:
        return external_link(obj)


def external_link(obj: RetroBacklogItem) -> str:
    if not obj.external_key:
        return "—"
    if obj.external_url:
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', obj.external_url, obj.external_key)
    return obj.external_key


@admin.register(Retrospective)
class RetrospectiveAdmin(ReadOnlyAdminMixin, HubModelAdmin):
    """Retrospectives, latest window first; each page reads as the retrospective and its backlog."""

    list_display = ["title", "kind", "window", "status_label", "written_by", "findings", "backlog", "created_at"]
    list_filter = ["kind", "status"]
    search_fields = ["title"]
    ordering = ["-window_end", "-id"]
    inlines = [BacklogInline]
    actions = ["publish_selected", "push_selected"]
    actions_list = ["write_now"]
    actions_detail = ["publish_one", "push_one"]
    offers_saved_views = False
    fieldsets = [
        (None, {"fields": ["narrative_html"]}),
        (
            "About this retrospective",
            {"fields": ["kind", "window", "status_pill", "written_by", "fallback", "created_by", "created_at"]},
        ),
        ("Findings", {"fields": ["findings_html"]}),
        ("Figures", {"fields": ["facts_html"]}),
        ("Figures (JSON)", {"fields": ["facts_json"], "classes": ["collapse"]}),
    ]
    readonly_fields = [
        "narrative_html",
        "kind",
        "window",
        "status_pill",
        "written_by",
        "fallback",
        "created_by",
        "created_at",
        "findings_html",
        "facts_html",
        "facts_json",
    ]

    def get_queryset(self, request) -> QuerySet:
        queryset = super().get_queryset(request).select_related("created_by")
        if request.resolver_match and request.resolver_match.url_name.endswith("changelist"):
            queryset = queryset.defer("facts", "narrative").annotate(items=Count("backlog_items"))
        return queryset

    def has_write_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("insights.add_retrospective")

    def has_publish_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("insights.change_retrospective")

    def has_push_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("insights.change_retrobacklogitem")

    # --- Columns and fields -------------------------------------------------------------------------------------------

    @admin.display(description="window", ordering="window_end")
    def window(self, obj: Retrospective) -> str:
        last = timezone.localtime(obj.window_end - timedelta(microseconds=1))
        return f"{timezone.localtime(obj.window_start):%a %d %b %Y} – {last:%a %d %b %Y}"

    @display(description="status", ordering="status", label=STATUS_COLOURS)
    def status_label(self, obj: Retrospective):
        return obj.status, obj.get_status_display()

    @admin.display(description="status")
    def status_pill(self, obj: Retrospective) -> str:
        return pill(obj.get_status_display(), STATUS_COLOURS.get(obj.status, "grey"))

    @admin.display(description="findings")
    def findings(self, obj: Retrospective) -> int:
        return len(obj.insights or [])

    @admin.display(description="backlog items", ordering="items")
    def backlog(self, obj: Retrospective) -> int:
        return getattr(obj, "items", 0)

    @admin.display(description="Mistral's failure")
    def fallback(self, obj: Retrospective) -> str:
        return (obj.facts or {}).get("narrative_fallback") or "—"

    @admin.display(description="retrospective")
    def narrative_html(self, obj: Retrospective) -> str:
        return format_html(
            '<div class="retro-narrative" style="max-width:48rem;line-height:1.5">{}</div>', to_html(obj.narrative)
        )

    @admin.display(description="findings")
    def findings_html(self, obj: Retrospective) -> str:
        return render_to_string("admin/insights/retrospective/findings.html", {"insights": obj.insights or []})

    @admin.display(description="figures")
    def facts_html(self, obj: Retrospective) -> str:
        return render_to_string("admin/insights/retrospective/facts.html", {"f": obj.facts or {}})

    @admin.display(description="figures (JSON)")
    def facts_json(self, obj: Retrospective) -> str:
        return format_html('<pre style="white-space:pre-wrap;margin:0">{}</pre>', json.dumps(obj.facts, indent=2))

    # --- Actions ------------------------------------------------------------------------------------------------------

    @action(description="Publish (never rewritten after)", permissions=["publish"])
    def publish_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        for retrospective in queryset.order_by("pk"):
            retrospectives.publish_retrospective(retrospective=retrospective, user=request.user)
        self.message_user(request, f"Published {queryset.count()} retrospective(s).", messages.SUCCESS)

    @action(description="Push their backlog items to the tracker", permissions=["push"])
    def push_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        results = [r for retro in queryset.order_by("pk") for r in retro_push.push_pending(retro, user=request.user)]
        if not results:
            self.message_user(request, "Nothing to push: every backlog item is already pushed.", messages.INFO)
        push_messages(self, request, results)

    def _confirmed(self, request: HttpRequest, object_id: str, *, title: str, text: str, button: str):
        """The retrospective, and whether the person confirmed (POST); a link never changes anything."""
        retrospective = self.get_object(request, object_id)
        if retrospective is None:
            raise Http404("No such retrospective.")
        if request.method == "POST":
            return retrospective, None
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.opts,
            "text": text,
            "button": button,
            "back": reverse("admin:insights_retrospective_change", args=[retrospective.pk]),
        }
        return retrospective, TemplateResponse(request, "admin/insights/retrospective/confirm.html", context)

    @action(description="Publish", url_path="publish", icon="verified", permissions=["publish"])
    def publish_one(self, request: HttpRequest, object_id: str) -> HttpResponse:
        retrospective, page = self._confirmed(
            request,
            object_id,
            title="Publish this retrospective?",
            text="A published retrospective is final: the schedule and “Write retrospective” never rewrite it.",
            button="Publish",
        )
        if page is not None:
            return page
        retrospectives.publish_retrospective(retrospective=retrospective, user=request.user)
        self.message_user(request, f"Published “{retrospective.title}”.", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:insights_retrospective_change", args=[retrospective.pk]))

    @action(description="Push to tracker", url_path="push", icon="send", permissions=["push"])
    def push_one(self, request: HttpRequest, object_id: str) -> HttpResponse:
        retrospective, page = self._confirmed(
            request,
            object_id,
            title="Push the backlog items to the tracker?",
            text="Each backlog item not pushed yet becomes one issue in its tracker (Linear or GitHub), with links "
            "back to its evidence here. An item already pushed is never pushed again.",
            button="Push to tracker",
        )
        if page is not None:
            return page
        results = retro_push.push_pending(retrospective, user=request.user)
        if not results:
            self.message_user(request, "Nothing to push: every backlog item is already pushed.", messages.INFO)
        push_messages(self, request, results)
        return HttpResponseRedirect(reverse("admin:insights_retrospective_change", args=[retrospective.pk]))

    @action(description="Write retrospective", url_path="write", icon="edit_note", permissions=["write"])
    def write_now(self, request: HttpRequest) -> HttpResponse:
        """GET: the form (the last ended sprint by default); POST: write the chosen window's retrospective."""
        last = retrospectives.last_ended_sprint()
        initial = {"kind": RetroKind.SPRINT}
        if last is not None:
            initial |= {"start": last.start.date(), "end": (last.end - timedelta(days=1)).date()}
        form = WriteForm(request.POST if request.method == "POST" else None, initial=initial)
        if request.method == "POST" and form.is_valid():
            window, kind = form.cleaned_data["window"], form.cleaned_data["kind"]
            if digest_provider() is not None:  # Mistral writes it: a worker waits for the call, not this request
                from insights.retro_tasks import write_retrospective_window

                write_retrospective_window.delay(
                    kind=kind, start=window.start.isoformat(), end=window.end.isoformat(), user_id=request.user.pk
                )
                self.message_user(
                    request,
                    f"The retrospective of {retrospectives.window_text(window)} is being written by Mistral: it "
                    "appears in this list in a minute.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:insights_retrospective_changelist"))
            result = retrospectives.write_retrospective(
                kind=kind, window_start=window.start, window_end=window.end, user=request.user
            )
            verb = {
                retrospectives.CREATED: "Written",
                retrospectives.REFRESHED: "Refreshed (it was a draft)",
                retrospectives.KEPT: "Already published, left unchanged",
            }[result.outcome]
            self.message_user(request, f"{verb}: “{result.retrospective.title}”.", messages.SUCCESS)
            return HttpResponseRedirect(reverse("admin:insights_retrospective_change", args=[result.retrospective.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": "Write retrospective",
            "opts": self.opts,
            "form": form,
            "changelist": reverse("admin:insights_retrospective_changelist"),
        }
        return TemplateResponse(request, "admin/insights/retrospective/write.html", context)


@admin.register(RetroBacklogItem)
class RetroBacklogItemAdmin(ReadOnlyAdminMixin, HubModelAdmin):
    """The backlog items retrospectives proposed: dry run, pushed or failed; pushed to the tracker by the action."""

    list_display = ["title", "retrospective", "tracker", "status_label", "issue", "pushed_at"]
    list_filter = ["status", "tracker"]
    list_select_related = ["retrospective"]
    search_fields = ["title", "external_key"]
    actions = ["push_items"]
    offers_saved_views = False
    fields = [
        "title",
        "retrospective",
        "tracker",
        "status",
        "issue",
        "last_error",
        "pushed_at",
        "body_html",
        "evidence",
    ]
    readonly_fields = fields

    def get_queryset(self, request) -> QuerySet:
        return super().get_queryset(request).defer("retrospective__facts", "retrospective__narrative")

    def has_push_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("insights.change_retrobacklogitem")

    @display(description="status", ordering="status", label=BACKLOG_COLOURS)
    def status_label(self, obj: RetroBacklogItem):
        return obj.status, obj.get_status_display()

    @admin.display(description="issue")
    def issue(self, obj: RetroBacklogItem) -> str:
        return external_link(obj)

    @admin.display(description="text")
    def body_html(self, obj: RetroBacklogItem) -> str:
        return format_html('<div style="max-width:48rem;line-height:1.5">{}</div>', to_html(obj.body))

    @action(description="Push to tracker", permissions=["push"])
    def push_items(self, request: HttpRequest, queryset: QuerySet) -> None:
        push_messages(
            self, request, [retro_push.push_backlog_item(item, user=request.user) for item in queryset.order_by("pk")]
        )
