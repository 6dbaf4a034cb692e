"""The triage in the admin: each item's triage record and override history on its page, the "Needs a person" list,
the "Triage quality" page (seed 002's targets), and read-only lists of records, overrides and classifier versions.

Imported once by ``feedback/admin.py`` (after ``FeedbackItemAdmin`` is defined): it adds the inlines and the filter
to that admin and registers its own.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.views.generic import TemplateView
from unfold.decorators import action, display
from unfold.views import UnfoldModelAdminViewMixin

from feedback import training, triage_quality
from feedback.admin import FeedbackItemAdmin
from feedback.models import ClassifierVersion, FeedbackItem, FieldOverride, TriageRecord
from feedbackhub.admin_tools import HubModelAdmin, ReadOnlyAdminMixin
from feedbackhub.formatting import link

OUTCOME_VARIANTS = {
    TriageRecord.Outcome.APPLIED: "success",
    TriageRecord.Outcome.SHADOW: "info",
    TriageRecord.Outcome.NEEDS_REVIEW: "danger",
}
NEEDS_A_PERSON = "needs_person"
MAX_OVERRIDES_SHOWN = 50
MAX_PIECES_SHOWN = 100


@admin.display(description="latest AI triage")
def ai_triage(self, obj: FeedbackItem | None) -> str:
    """The latest triage record: outcome, provider/model/version, confidence, the priority's sum and notes."""
    if obj is None or not obj.pk:
        return "Not triaged yet."
    pieces = list(obj.extracts.order_by("pk").values_list("pk", flat=True)[:MAX_PIECES_SHOWN])
    if pieces:  # a call transcript or long thread: its pieces were triaged, not it
        links = format_html_join(", ", "{}", ((link(FeedbackItem, pk, f"#{pk}"),) for pk in pieces))
        return format_html("Cut into {} item(s), each triaged on its own: {}", len(pieces), links)
    record = obj.triage_records.order_by("-created_at", "-id").first()
    if record is None:
        return "Not triaged yet."
    confidence = f"{record.confidence:.0%}" if record.confidence is not None else "—"
    return format_html(
        '<div class="triage-panel"><p><b>{}</b> · {} · {}/{} {} · confidence {}</p>'
        "<p>AI values: {} · {} severity · {} priority · {} · language {} · product {} / {}</p>"
        "<p>Priority: {}</p><p>Applied: {}</p>{}</div>",
        record.get_outcome_display(),
        record.created_at.strftime("%Y-%m-%d %H:%M"),
        record.provider,
        record.model,
        record.version,
        confidence,
        record.get_category_display() or "no category",
        record.severity or "no",
        record.priority or "no",
        record.sentiment_label or "no sentiment",
        record.language or "?",
        record.product or "—",
        record.product_area or "—",
        record.priority_reason or "—",
        ", ".join(record.applied_fields) or "nothing (see the outcome)",
        format_html("<p>Notes: {}</p>", record.notes) if record.notes else "",
    )


@admin.display(description="overrides of the AI")
def ai_overrides(self, obj: FeedbackItem | None) -> str:
    """Every change a person made to a value the AI had set (seed 002's override log), newest first."""
    if obj is None or not obj.pk:
        return "—"
    overrides = list(obj.overrides.select_related("user")[:MAX_OVERRIDES_SHOWN])
    if not overrides:
        return "None: nobody changed a value the AI set."
    rows = format_html_join(
        "",
        "<li>{} · <b>{}</b>: {} → {} ({})</li>",
        (
            (
                override.created_at.strftime("%Y-%m-%d %H:%M"),
                override.field.replace("_", " "),
                override.ai_value or "—",
                override.human_value or "—",
                override.user.get_username() if override.user else "unknown",
            )
            for override in overrides
        ),
    )
    return format_html('<ul class="triage-overrides">{}</ul>', rows)


class TriageFilter(admin.SimpleListFilter):
    """Where the item is in triage: waiting for a person (the AI could not read it), or not triaged yet."""

    title = "triage"
    parameter_name = "triage"

    def lookups(self, request, model_admin):
        return [(NEEDS_A_PERSON, "Needs a person"), ("untriaged", "Not triaged yet")]

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        if self.value() == NEEDS_A_PERSON:
            return triage_quality.needing_a_person(queryset)
        if self.value() == "untriaged":
            return queryset.untriaged()
        return queryset


FeedbackItemAdmin.ai_triage = ai_triage
FeedbackItemAdmin.ai_overrides = ai_overrides
FeedbackItemAdmin.readonly_fields = [*FeedbackItemAdmin.readonly_fields, "human_fields", "ai_triage", "ai_overrides"]
FeedbackItemAdmin.fieldsets = [
    *FeedbackItemAdmin.fieldsets[:2],
    (
        "AI triage",
        {
            "fields": ["language", "churn_signal", "competitors", "jtbd", "human_fields", "ai_triage", "ai_overrides"],
            "description": "Fields a person set are listed in “set by a person”: triage never overwrites them.",
        },
    ),
    *FeedbackItemAdmin.fieldsets[2:],
]
FeedbackItemAdmin.list_filter = [TriageFilter, *FeedbackItemAdmin.list_filter]


class ReadOnlyAdmin(ReadOnlyAdminMixin, HubModelAdmin):
    """A log: listed and read, never added, changed or deleted by hand."""

    offers_saved_views = False


@admin.register(TriageRecord)
class TriageRecordAdmin(ReadOnlyAdmin):
    """Every triage the AI made, newest first; the "Triage quality" page is one click away."""

    list_display = [
        "created_at",
        "item",
        "outcome_pill",
        "provider",
        "model",
        "version",
        "category",
        "priority",
        "confidence",
    ]
    list_filter = ["outcome", "category", "priority"]
    sortable_by = ["created_at"]
    actions_list = ["quality"]
    readonly_fields = [field.name for field in TriageRecord._meta.fields]

    def get_queryset(self, request) -> QuerySet:
        return super().get_queryset(request).defer("jtbd", "summary", "notes")

    @display(description="outcome", label=OUTCOME_VARIANTS)
    def outcome_pill(self, obj: TriageRecord):
        return obj.outcome, obj.get_outcome_display()

    @admin.display(description="feedback")
    def item(self, obj: TriageRecord) -> str:
        return link(FeedbackItem, obj.feedback_id, f"#{obj.feedback_id}")

    @action(description="Triage quality", url_path="quality", icon="fact_check", permissions=["view"])
    def quality(self, request: HttpRequest) -> HttpResponse:
        return TriageQualityView.as_view(model_admin=self)(request)


@admin.register(FieldOverride)
class FieldOverrideAdmin(ReadOnlyAdmin):
    """People's corrections of the AI's values: what it said, what they set, who and when."""

    list_display = ["created_at", "item", "field", "ai_value", "human_value", "user"]
    list_filter = ["field"]
    sortable_by = ["created_at"]
    list_select_related = ["user"]

    @admin.display(description="feedback")
    def item(self, obj: FieldOverride) -> str:
        return link(FeedbackItem, obj.feedback_id, f"#{obj.feedback_id}")


@admin.register(ClassifierVersion)
class ClassifierVersionAdmin(ReadOnlyAdmin):
    """The trained offline classifiers: which one triage uses, what it learnt from, how it measured; retrain now."""

    list_display = ["version", "active", "n_examples", "n_corrections", "held_out_accuracy", "created_at"]
    readonly_fields = ["version", "active", "n_examples", "n_corrections", "metrics", "created_at"]
    exclude = ["blob"]
    actions_list = ["retrain_now"]

    def get_queryset(self, request) -> QuerySet:
        return super().get_queryset(request).defer("blob")

    @admin.display(description="held-out accuracy")
    def held_out_accuracy(self, obj: ClassifierVersion) -> str:
        value = obj.metrics.get("held_out_accuracy")
        return f"{value:.1%}" if isinstance(value, int | float) else "—"

    @action(description="Retrain now", url_path="retrain", icon="model_training", permissions=["retrain"])
    def retrain_now(self, request: HttpRequest) -> HttpResponse:
        """Retrain on the seed set and every correction (skipped when nothing changed since the active version)."""
        if request.method != "POST":
            return RetrainView.as_view(model_admin=self)(request)
        # Training embeds every correction and fits two models: seconds to minutes, so a worker does it, not the
        # request. The page lists the new version when it is done.
        if training.queue_retraining():
            self.message_user(
                request,
                "Retraining queued: the new version appears in this list when the worker is done "
                "(nothing is trained if no correction changed since the active version).",
                messages.SUCCESS,
            )
        else:
            self.message_user(
                request,
                "Could not queue the retraining: the task queue (Redis) is unreachable. Nothing was changed; "
                "try again when it is back (the daily retraining also runs at 03:00 UTC).",
                messages.ERROR,
            )
        return HttpResponseRedirect(reverse("admin:feedback_classifierversion_changelist"))

    def has_retrain_permission(self, request) -> bool:
        return request.user.has_perm("feedback.change_feedbackitem")


class TriageQualityView(UnfoldModelAdminViewMixin, TemplateView):
    """Seed 002's validation figures: override rates, accuracy from reviews, shadow agreement, classifier versions."""

    template_name = "admin/feedback/triage_quality.html"
    permission_required = "feedback.view_triagerecord"
    title = "Triage quality"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        report = triage_quality.quality_report()
        waiting = reverse("admin:feedback_feedbackitem_changelist") + f"?triage={NEEDS_A_PERSON}"
        accuracy = report["accuracy"]
        rows = [("category", accuracy["category"]), ("sentiment direction", accuracy["sentiment_direction"])]
        return super().get_context_data(**kwargs, report=report, accuracy_rows=rows, needs_person_url=waiting)


class RetrainView(UnfoldModelAdminViewMixin, TemplateView):
    """GET: what retraining does; the button POSTs back here (``ClassifierVersionAdmin.retrain_now``)."""

    template_name = "admin/feedback/classifierversion/retrain.html"
    permission_required = "feedback.view_classifierversion"
    title = "Retrain the offline classifier"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        active = ClassifierVersion.objects.filter(active=True).defer("blob").first()
        corrections = FeedbackItem.objects.filter(human_fields__contains=["category"]).exclude(category="").count()
        return super().get_context_data(**kwargs, active=active, corrections=corrections)
