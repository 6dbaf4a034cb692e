"""Admin for suggested themes (review queue: accept, accept under a new name, reject) and the themes' 'time to verify'
marker. Registered by one import in ``themes/admin.py``; every decision goes through ``themes.suggestions``."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Case, IntegerField, Prefetch, QuerySet, Value, When
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from unfold.decorators import action, display

from feedback.models import FeedbackItem
from feedbackhub.admin_tools import HubModelAdmin
from themes import suggestions
from themes.models import Theme, ThemeSuggestion
from themes.verification_notice import TIME_TO_VERIFY, is_time_to_verify

SAMPLE_VERBATIMS = 3
MEMBERS_SHOWN = 50
Decision = ThemeSuggestion.Decision


# --- Themes: 'time to verify' --------------------------------------------------------------------------------------


class TimeToVerifyFilter(admin.SimpleListFilter):
    """Themes whose owner was told it is time to verify (5+ items) and that are still hypotheses."""

    title = "verification"
    parameter_name = "verify"

    def lookups(self, request, model_admin):
        return [("due", "Time to verify")]

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        return queryset.filter(TIME_TO_VERIFY) if self.value() == "due" else queryset


@display(description="verify", label={"Time to verify": "warning"})
def time_to_verify(obj: Theme) -> str:
    """The badge of a theme that reached enough feedback to verify and is still a hypothesis."""
    return "Time to verify" if is_time_to_verify(obj) else ""


# --- Suggested themes ------------------------------------------------------------------------------------------------


class AcceptForm(forms.Form):
    """The name (and description) the theme gets: the suggested ones, or the PM's."""

    name = forms.CharField(max_length=200, widget=forms.TextInput(attrs={"style": "width:100%"}))
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "style": "width:100%"}), required=False)


@admin.register(ThemeSuggestion)
class ThemeSuggestionAdmin(HubModelAdmin):
    """Suggested themes to review: pending first, biggest first, each with a few of its verbatims."""

    list_display = ["name", "decision_badge", "size", "cohesion_shown", "samples", "provider", "created_at", "theme"]
    list_filter = ["decision"]
    search_fields = ["name", "description"]
    list_select_related = ["theme"]
    actions = ["accept_selected", "reject_selected"]
    actions_detail = ["accept_renamed", "reject_one"]
    fields = ["name", "description", "decision", "size", "cohesion", "provider", "theme", "decided_by", "decided_at"]
    readonly_fields = [*fields, "members"]
    offers_saved_views = False

    def get_fields(self, request, obj=None):
        return [*self.fields, "members"]

    def get_queryset(self, request) -> QuerySet:
        sample = FeedbackItem.objects.only("pk", "verbatim").order_by("pk")[:SAMPLE_VERBATIMS]
        return (
            super().get_queryset(request).prefetch_related(Prefetch("items", queryset=sample, to_attr="sample_items"))
        )

    def get_ordering(self, request) -> list:
        """To review first, then the biggest (the ``theme_suggestion_queue_idx`` order within each decision)."""
        pending_first = Case(
            When(decision=Decision.PENDING, then=Value(0)), default=Value(1), output_field=IntegerField()
        )
        return [pending_first.asc(), "-size", "-id"]

    def has_add_permission(self, request) -> bool:
        return False  # suggestions come from the clustering job

    def has_decide_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("themes.change_themesuggestion") and request.user.has_perm("themes.add_theme")

    # --- Columns ------------------------------------------------------------------------------------------------------

    @display(description="decision", label={"To review": "info", "Accepted": "success", "Rejected": "danger"})
    def decision_badge(self, obj: ThemeSuggestion) -> str:
        return obj.get_decision_display()

    @admin.display(description="cohesion", ordering="cohesion")
    def cohesion_shown(self, obj: ThemeSuggestion) -> str:
        return f"{obj.cohesion:.2f}"

    @admin.display(description="sample verbatims")
    def samples(self, obj: ThemeSuggestion) -> str:
        items = getattr(obj, "sample_items", None)
        if items is None:
            items = list(obj.items.only("pk", "verbatim").order_by("pk")[:SAMPLE_VERBATIMS])
        quoted = ((item.verbatim[:100],) for item in items)
        quotes = format_html_join("", '<span style="display:block">“{}”</span>', quoted)
        return format_html('<div style="min-width:0;overflow-wrap:anywhere;white-space:normal">{}</div>', quotes)

    @admin.display(description="members")
    def members(self, obj: ThemeSuggestion) -> str:
        items = obj.items.only("pk", "verbatim").order_by("pk")[:MEMBERS_SHOWN]
        rows = ((reverse("admin:feedback_feedbackitem_change", args=[item.pk]), item.verbatim[:200]) for item in items)
        links = format_html_join("", '<li><a href="{}">{}</a></li>', rows)
        return format_html('<ul style="overflow-wrap:anywhere">{}</ul>', links)

    # --- Decisions ----------------------------------------------------------------------------------------------------

    @action(description="Accept selected (as suggested)", permissions=["decide"])
    def accept_selected(self, request, queryset: QuerySet) -> None:
        accepted, refused = 0, []
        for suggestion in queryset.filter(decision=Decision.PENDING):
            try:
                suggestions.accept_suggestion(suggestion=suggestion, user=request.user)
                accepted += 1
            except ValidationError as error:
                refused.append(" ".join(error.messages))
        self.message_user(request, f"Accepted {accepted} suggestion(s) as new themes.", messages.SUCCESS)
        for reason in refused:
            self.message_user(request, reason, messages.WARNING)

    @action(description="Reject selected", permissions=["decide"])
    def reject_selected(self, request, queryset: QuerySet) -> None:
        rejected = 0
        for suggestion in queryset.filter(decision=Decision.PENDING):
            suggestions.reject_suggestion(suggestion=suggestion, user=request.user)
            rejected += 1
        self.message_user(request, f"Rejected {rejected} suggestion(s); their items are not suggested again.")

    def _pending(self, request, object_id: str) -> ThemeSuggestion:
        suggestion = self.get_object(request, object_id)
        if suggestion is None:
            raise Http404("No such suggestion.")
        return suggestion

    @action(description="Accept (rename)…", url_path="accept", icon="check", permissions=["decide"])
    def accept_renamed(self, request, object_id: str):
        """GET: the name and description the theme will get, editable; POST: accept under them."""
        suggestion = self._pending(request, object_id)
        change_url = reverse("admin:themes_themesuggestion_change", args=[suggestion.pk])
        initial = {"name": suggestion.name, "description": suggestion.description}
        form = AcceptForm(request.POST if request.method == "POST" else None, initial=initial)
        if request.method == "POST" and form.is_valid():
            try:
                theme = suggestions.accept_suggestion(
                    suggestion=suggestion,
                    user=request.user,
                    name=form.cleaned_data["name"],
                    description=form.cleaned_data["description"],
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                self.message_user(request, f"Created the theme “{theme}” with {suggestion.size} item(s).")
                return HttpResponseRedirect(reverse("admin:themes_theme_change", args=[theme.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": f"Accept “{suggestion.name}” as a theme",
            "opts": self.opts,
            "suggestion": suggestion,
            "form": form,
            "samples": suggestion.items.only("pk", "verbatim").order_by("pk")[:10],
            "change_url": change_url,
        }
        return TemplateResponse(request, "admin/themes/themesuggestion/accept.html", context)

    @action(description="Reject", url_path="reject", icon="block", permissions=["decide"])
    def reject_one(self, request, object_id: str):
        """POST only: a link never changes anything."""
        suggestion = self._pending(request, object_id)
        change_url = reverse("admin:themes_themesuggestion_change", args=[suggestion.pk])
        if request.method == "POST":
            try:
                suggestions.reject_suggestion(suggestion=suggestion, user=request.user)
                self.message_user(request, f"Rejected “{suggestion.name}”.")
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)
            return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Reject “{suggestion.name}”?",
            "opts": self.opts,
            "suggestion": suggestion,
            "change_url": change_url,
        }
        return TemplateResponse(request, "admin/themes/themesuggestion/reject.html", context)
