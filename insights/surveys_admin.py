"""Survey responses in the admin: NPS and CSAT answers with their band, account, comment and the feedback it became;
the NPS and CSAT of the filtered rows on top; CSV/XLSX import and export (``insights.resources``).

Registered by ``insights.admin`` importing this module.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.html import format_html
from unfold.contrib.filters.admin import RangeDateFilter
from unfold.decorators import display

from customers.selectors import visible_to
from feedbackhub.admin_tools import HubModelAdmin, ScopedAutocompleteSelectFilter
from feedbackhub.sheets import SpreadsheetAdmin
from insights import surveys
from insights.api.serializers import RESERVED_SOURCE, is_reserved_source
from insights.models import SurveyResponse
from insights.resources import SurveyResponseResource

BAND_VARIANTS = {surveys.DETRACTOR: "danger", surveys.PASSIVE: "warning", surveys.PROMOTER: "success"}
BAND_LABELS = {surveys.DETRACTOR: "Detractor", surveys.PASSIVE: "Passive", surveys.PROMOTER: "Promoter"}
EXCERPT = 90  # characters of the comment shown in the list


class BandFilter(admin.SimpleListFilter):
    """Detractors, passives or promoters (CSAT: 1–2, 3, 4–5), by ``insights.surveys``' bands."""

    title = "band"
    parameter_name = "band"

    def lookups(self, request, model_admin):
        return list(BAND_LABELS.items())

    def queryset(self, request, queryset):
        if self.value() in BAND_LABELS:
            return queryset.filter(surveys.band_q(self.value()))
        return queryset


class CommentFilter(admin.SimpleListFilter):
    """Answers with a comment (it became a feedback item) or without."""

    title = "comment"
    parameter_name = "commented"

    def lookups(self, request, model_admin):
        return [("yes", "With a comment"), ("no", "Score only")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(feedback__isnull=False)
        if self.value() == "no":
            return queryset.filter(feedback__isnull=True)
        return queryset


class SurveyResponseForm(forms.ModelForm):
    class Meta:
        model = SurveyResponse
        fields = ["source"]  # the admin's fieldsets decide the rest

    def clean_source(self) -> str:
        """ "journey" belongs to the hub's journey surveys: a response typed here may not take it (the API and the
        import refuse it too), or the survey's own answer would collide with it. A journey answer keeps its source."""
        source = self.cleaned_data["source"]
        if is_reserved_source(source) and (self.instance.pk is None or "source" in self.changed_data):
            raise forms.ValidationError(RESERVED_SOURCE)
        return source


@admin.register(SurveyResponse)
class SurveyResponseAdmin(HubModelAdmin, SpreadsheetAdmin):
    """NPS / CSAT answers; the figure on top is over the rows the filters keep. Sales / CS see their accounts' only."""

    form = SurveyResponseForm
    resource_classes = [SurveyResponseResource]
    list_before_template = "insights/survey_figures.html"
    list_display = ["responded_at", "kind", "score_pill", "customer_link", "comment_excerpt", "feedback_link", "survey"]
    list_display_links = ["responded_at"]
    list_filter = [
        "kind",
        BandFilter,
        CommentFilter,
        ("responded_at", RangeDateFilter),
        ("customer", ScopedAutocompleteSelectFilter),
    ]
    search_fields = ["=external_id", "customer__name"]
    list_select_related = ["customer"]
    autocomplete_fields = ["customer"]
    readonly_fields = ["feedback_link", "created_at"]
    fields = [
        "kind",
        "score",
        "customer",
        "comment",
        "contact_email",
        "survey",
        "source",
        "external_id",
        "responded_at",
        "feedback_link",
        "created_at",
    ]

    def get_queryset(self, request) -> QuerySet:
        return visible_to(super().get_queryset(request), request.user, prefix="customer__")

    def changelist_view(self, request, extra_context=None):
        """The list, with the NPS and CSAT of the rows its filters keep (one aggregate query)."""
        response = super().changelist_view(request, extra_context)
        context = getattr(response, "context_data", None)
        if context is not None and "cl" in context:
            context["survey_figures"] = surveys.figures(context["cl"].queryset)
        return response

    def save_model(self, request, obj: SurveyResponse, form, change: bool) -> None:
        """Through ``insights.surveys.save_response``: the comment becomes feedback, the account is rescored."""
        surveys.save_response(response=obj, received_via=f"admin:{request.user.get_username()}")

    @display(description="score", label=BAND_VARIANTS, ordering="score")
    def score_pill(self, obj: SurveyResponse):
        return surveys.band(kind=obj.kind, score=obj.score), str(obj.score)

    @admin.display(description="account", ordering="customer__name")
    def customer_link(self, obj: SurveyResponse) -> str:
        url = reverse("admin:customers_customer_change", args=[obj.customer_id])
        return format_html('<a href="{}">{}</a>', url, obj.customer.name)

    @admin.display(description="comment")
    def comment_excerpt(self, obj: SurveyResponse) -> str:
        text = " ".join(obj.comment.split())
        return text if len(text) <= EXCERPT else text[: EXCERPT - 1].rstrip() + "…"

    @admin.display(description="feedback item")
    def feedback_link(self, obj: SurveyResponse) -> str:
        if obj.feedback_id is None:
            return "—"
        url = reverse("admin:feedback_feedbackitem_change", args=[obj.feedback_id])
        return format_html('<a href="{}">#{}</a>', url, obj.feedback_id)
