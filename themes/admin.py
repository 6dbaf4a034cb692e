"""Theme admin: hypotheses, their verification and their rollups."""

from django import forms
from django.contrib import admin, messages
from django.db.models import OuterRef, QuerySet
from django.urls import reverse
from unfold.admin import TabularInline
from unfold.decorators import action

from feedbackhub.admin_tools import HubModelAdmin, count_of
from themes import selectors, services
from themes.choices import VerificationStep
from themes.models import Theme, ThemeVerification
from themes.suggestions_admin import TimeToVerifyFilter, time_to_verify  # also registers the suggestion review admin


class ThemeVerificationForm(forms.ModelForm):
    """A verification step with a 'done' tick box; who ticked it and when is recorded by the service."""

    done = forms.BooleanField(required=False)

    class Meta:
        model = ThemeVerification
        fields = ["notes", "done"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["done"].initial = bool(self.instance.pk and self.instance.done_at)


class ThemeVerificationInline(TabularInline):
    """The verify-before-build checklist of a theme."""

    model = ThemeVerification
    form = ThemeVerificationForm
    template = "admin/themes/theme/verification_inline.html"  # lean rows: unfold's took half the page's render
    fields = ["step", "done", "done_by", "done_at", "notes"]
    readonly_fields = ["step", "done_by", "done_at"]
    extra = 0
    can_delete = False
    max_num = 0


@admin.register(Theme)
class ThemeAdmin(HubModelAdmin):
    """Themes by ARR impact, with verification progress."""

    list_display = [
        "name",
        "status",
        "owner",
        "feedback_count",
        "unique_customers",
        "arr_impacted",
        "arr_at_risk",
        "verification",
        time_to_verify,
    ]
    list_filter = ["status", "owner", TimeToVerifyFilter]
    search_fields = ["name", "description"]
    list_select_related = ["owner"]
    autocomplete_fields = ["owner"]
    readonly_fields = [
        "feedback_count",
        "unique_customers",
        "arr_impacted",
        "arr_at_risk",
        "rollups_refreshed_at",
        "created_at",
        "updated_at",
    ]
    inlines = [ThemeVerificationInline]
    grid_editable = ("status", "owner")  # ?grid=edit
    actions = ["refresh_rollups"]
    fieldsets = [
        (None, {"fields": ["name", "status", "owner", "description", "problem_statement", "tracker_issues"]}),
        (
            "Rollups",
            {"fields": ["feedback_count", "unique_customers", "arr_impacted", "arr_at_risk", "rollups_refreshed_at"]},
        ),
    ]

    def get_queryset(self, request) -> QuerySet:
        done = ThemeVerification.objects.filter(theme=OuterRef("pk"), done_at__isnull=False)
        return super().get_queryset(request).annotate(steps_done=count_of(done, by="theme"))

    @admin.display(description="verified", ordering="steps_done")
    def verification(self, obj: Theme) -> str:
        return f"{obj.steps_done}/{len(VerificationStep)}"

    change_form_template = "admin/themes/theme/change_form.html"

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        """The theme page: the form, plus who asked by segment and the latest verbatims (the theme loaded once)."""
        if obj is not None and obj.pk is not None:
            context.update(
                verbatims=list(selectors.theme_verbatims(theme=obj, user=request.user)),
                segments=selectors.theme_segments(theme=obj),
                feedback_url=reverse("admin:feedback_feedbackitem_changelist") + f"?themes__id__exact={obj.pk}",
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if isinstance(inline, ThemeVerificationInline) and obj.pk is not None:
            # Read through the theme: each step knows it (its name shows it) instead of loading it again per row.
            kwargs["queryset"] = obj.verification_steps.select_related("done_by")
        return kwargs

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        services.ensure_verification_steps(theme=obj)

    def save_formset(self, request, form, formset, change) -> None:
        steps = formset.save()
        for step_form in formset.forms:
            if step_form.instance.pk and "done" in step_form.cleaned_data:
                services.set_step_done(step=step_form.instance, done=step_form.cleaned_data["done"], user=request.user)
        return steps

    @action(description="Refresh rollups")
    def refresh_rollups(self, request, queryset: QuerySet) -> None:
        count = services.refresh_rollups(theme_ids=queryset.values_list("id", flat=True))
        self.message_user(request, f"Refreshed the rollups of {count} theme(s).", messages.SUCCESS)
