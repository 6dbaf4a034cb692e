"""Discovery records in the admin (issue 13): design-partner programs with their partners, weekly check-ins (an add
form of three fields, the week already filled in: seed 001 says logging that takes over 30 seconds does not happen),
win/loss records, JTBD interviews; and each launch's design partners on the launch's own page ("ship to them first").

Every save goes through ``insights.discovery``, which turns the words into feedback. Registered by ``insights.admin``
importing this module; the launch panel is added to ``launches.admin.LaunchAdmin``'s inlines here.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Count, Max, Prefetch, QuerySet
from django.forms.models import BaseInlineFormSet
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from unfold.admin import TabularInline
from unfold.decorators import display

from feedback.models import FeedbackItem
from feedbackhub.admin_tools import HubModelAdmin
from feedbackhub.formatting import link, pill
from insights import discovery
from insights.choices import DealOutcome
from insights.models import DesignPartner, DesignPartnerProgram, JtbdInterview, PartnerCheckIn, WinLossRecord
from launches.admin import LaunchAdmin
from launches.choices import LaunchStatus

EXCERPT = 90  # characters of notes and reasons shown in lists
OUTCOME_VARIANTS = {DealOutcome.WON: "success", DealOutcome.LOST: "danger", DealOutcome.CHURNED: "warning"}


def excerpt(text: str) -> str:
    return text if len(text) <= EXCERPT else f"{text[: EXCERPT - 1]}…"


def feedback_link(feedback_id: int | None) -> str:
    return link(FeedbackItem, feedback_id, f"#{feedback_id}") if feedback_id else "—"


def partner_lines(partners, *, today=None) -> str:
    """Each partner with their last check-in (red when none this week or last) and a link to log this week's."""
    today = today or timezone.localdate()
    add = reverse("admin:insights_partnercheckin_add")
    return format_html_join(
        "",
        '<li>{} · {} · <a href="{}?partner={}">log a check-in</a></li>',
        (
            (
                partner.customer.name,
                pill(
                    f"last check-in {p_week:%d %b}" if (p_week := partner.last_check_in) else "no check-in yet",
                    "red" if discovery.check_in_overdue(partner.last_check_in, today=today) else "green",
                ),
                add,
                partner.pk,
            )
            for partner in partners
        ),
    )


# --- programs -----------------------------------------------------------------------------------------------------


class DesignPartnerFormSet(BaseInlineFormSet):
    """The partners together: more than ``PARTNERS_MAX`` is refused (``discovery.check_partner_count``)."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        kept = [f for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        discovery.check_partner_count(len(kept))


class DesignPartnerInline(TabularInline):
    model = DesignPartner
    formset = DesignPartnerFormSet
    fields = ["customer", "contact_email", "joined_on"]
    autocomplete_fields = ["customer"]
    extra = 0


@admin.register(DesignPartnerProgram)
class DesignPartnerProgramAdmin(HubModelAdmin):
    """Design-partner programs (5–8 accounts, weekly check-ins, shipped to first), each linked to its launch."""

    inlines = [DesignPartnerInline]
    list_display = ["name", "launch", "size", "starts_on", "ends_on", "last_check_in"]
    list_select_related = ["launch"]
    search_fields = ["name", "launch__name"]
    autocomplete_fields = ["launch"]
    readonly_fields = ["partners_panel"]
    fields = ["name", "launch", "goal", "owner", "starts_on", "ends_on", "partners_panel"]
    offers_saved_views = False

    def get_queryset(self, request) -> QuerySet:
        return (
            super()
            .get_queryset(request)
            .annotate(partner_count=Count("partners", distinct=True), latest_check_in=Max("partners__check_ins__week"))
        )

    @admin.display(description="partners", ordering="partner_count")
    def size(self, obj: DesignPartnerProgram) -> str:
        size = discovery.ProgramSize(obj.partner_count)
        return pill(size.text, "amber" if size.setting_up else "green")

    @admin.display(description="last check-in", ordering="latest_check_in")
    def last_check_in(self, obj: DesignPartnerProgram) -> str:
        return f"{obj.latest_check_in:%d %b %Y}" if obj.latest_check_in else "—"

    @admin.display(description="partners and check-ins")
    def partners_panel(self, obj: DesignPartnerProgram) -> str:
        if obj.pk is None:
            return "Save the program, then add its partners below."
        partners = discovery.partners_with_last_check_in(programs=[obj]).get(obj.pk, [])
        size = discovery.ProgramSize(len(partners))
        return format_html(
            "{}<ul>{}</ul>", pill(size.text, "amber" if size.setting_up else "green"), partner_lines(partners)
        )


# --- weekly check-ins ---------------------------------------------------------------------------------------------


class PartnerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: DesignPartner) -> str:
        return f"{obj.customer.name} — {obj.program.name}"


class PartnerCheckInForm(forms.ModelForm):
    """Partner, notes; the week is this week's Monday unless changed (any day is moved to its Monday)."""

    partner = PartnerChoiceField(queryset=DesignPartner.objects.none())

    class Meta:
        model = PartnerCheckIn
        fields = ["partner", "week", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 6, "placeholder": "What did they say this week?"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "partner" in self.fields:
            today = timezone.localdate()
            running = DesignPartner.objects.exclude(program__ends_on__lt=today).select_related("customer", "program")
            self.fields["partner"].queryset = running.order_by("program__name", "customer__name")
        if "week" in self.fields:
            self.fields["week"].help_text = "Any day of the week: it is stored as its Monday."

    def clean_week(self):
        return discovery.monday_of(self.cleaned_data["week"])

    def clean(self):
        cleaned = super().clean()
        partner, week = cleaned.get("partner"), cleaned.get("week")
        taken = self.instance.pk is None and partner and week
        if taken and PartnerCheckIn.objects.filter(partner=partner, week=week).exists():
            raise ValidationError(
                f"{partner.customer.name} already has a check-in for the week of {week:%d %b %Y}: "
                "open that one to add to its notes."
            )
        return cleaned

    def validate_constraints(self, exclude=None):
        """The weekly rule is checked in ``clean`` with a message that says what to do."""


@admin.register(PartnerCheckIn)
class PartnerCheckInAdmin(HubModelAdmin):
    """Weekly check-ins; the notes become a feedback item (source design partner) that triage reads."""

    form = PartnerCheckInForm
    list_display = ["partner_name", "program", "week", "notes_excerpt", "feedback_item"]
    list_select_related = ["partner__customer", "partner__program"]
    list_filter = [("partner__program", admin.RelatedOnlyFieldListFilter), "week"]
    search_fields = ["notes", "partner__customer__name"]
    date_hierarchy = "week"
    offers_saved_views = False

    def get_changeform_initial_data(self, request) -> dict:
        """This week's Monday, and the partner a "log a check-in" link names (``?partner=<id>``)."""
        return {"week": discovery.monday_of(timezone.localdate()), **super().get_changeform_initial_data(request)}

    def get_readonly_fields(self, request, obj=None):
        return ["partner", "week", "feedback_item"] if obj is not None else []

    def get_fields(self, request, obj=None):
        return ["partner", "week", "notes"] + (["feedback_item"] if obj is not None else [])

    def save_model(self, request, obj: PartnerCheckIn, form, change: bool) -> None:
        saved = discovery.record_check_in(partner=obj.partner, week=obj.week, notes=obj.notes, user=request.user)
        obj.pk, obj.feedback_id, obj.created_at = saved.pk, saved.feedback_id, saved.created_at

    @admin.display(description="partner", ordering="partner__customer__name")
    def partner_name(self, obj: PartnerCheckIn) -> str:
        return obj.partner.customer.name

    @admin.display(description="program", ordering="partner__program__name")
    def program(self, obj: PartnerCheckIn) -> str:
        return obj.partner.program.name

    @admin.display(description="notes")
    def notes_excerpt(self, obj: PartnerCheckIn) -> str:
        return excerpt(obj.notes)

    @admin.display(description="feedback")
    def feedback_item(self, obj: PartnerCheckIn) -> str:
        return feedback_link(obj.feedback_id)


# --- win/loss -----------------------------------------------------------------------------------------------------


@admin.register(WinLossRecord)
class WinLossRecordAdmin(HubModelAdmin):
    """Deals won and lost, accounts churned: their reasons become feedback flagged competitor or churn."""

    list_display = ["deal", "account", "outcome_label", "competitor", "amount", "closed_on", "feedback_item"]
    list_select_related = ["customer"]
    list_filter = ["outcome", "competitor", "closed_on"]
    search_fields = ["deal", "prospect", "reasons", "competitor", "=crm_deal_id"]
    autocomplete_fields = ["customer"]
    fields = [
        "deal",
        "crm_deal_id",
        "customer",
        "prospect",
        "outcome",
        "competitor",
        "reasons",
        "amount",
        "closed_on",
        "feedback_item",
    ]
    readonly_fields = ["feedback_item"]
    offers_saved_views = False

    def save_model(self, request, obj: WinLossRecord, form, change: bool) -> None:
        discovery.save_win_loss(record=obj)

    @admin.display(description="account", ordering="customer__name")
    def account(self, obj: WinLossRecord) -> str:
        return obj.customer.name if obj.customer_id else (obj.prospect or "—")

    @display(description="outcome", ordering="outcome", label=OUTCOME_VARIANTS)
    def outcome_label(self, obj: WinLossRecord) -> tuple[str, str]:
        return obj.outcome, obj.get_outcome_display()

    @admin.display(description="feedback")
    def feedback_item(self, obj: WinLossRecord) -> str:
        return feedback_link(obj.feedback_id)


# --- JTBD interviews ----------------------------------------------------------------------------------------------


class JtbdInterviewForm(forms.ModelForm):
    class Meta:
        model = JtbdInterview
        fields = [
            "customer",
            "interviewee",
            "held_on",
            "theme",
            "first_realized",
            "before",
            "success",
            "notes",
        ]

    def clean(self):
        cleaned = super().clean()
        if not any((cleaned.get(name) or "").strip() for name in ("first_realized", "before", "success", "notes")):
            raise ValidationError("Answer at least one of the three questions, or write notes.")
        return cleaned


@admin.register(JtbdInterview)
class JtbdInterviewAdmin(HubModelAdmin):
    """Jobs-to-be-done interviews (seed 001's three questions); each becomes a feedback item in its theme."""

    form = JtbdInterviewForm
    list_display = ["interviewee", "customer", "held_on", "theme", "success_excerpt", "feedback_item"]
    list_select_related = ["customer", "theme"]
    list_filter = ["held_on"]
    search_fields = ["interviewee", "first_realized", "before", "success", "notes"]
    autocomplete_fields = ["customer", "theme"]
    readonly_fields = ["feedback_item"]
    offers_saved_views = False

    def save_model(self, request, obj: JtbdInterview, form, change: bool) -> None:
        if not change and obj.interviewer_id is None:
            obj.interviewer = request.user
        discovery.save_interview(interview=obj)

    @admin.display(description="what would success look like?")
    def success_excerpt(self, obj: JtbdInterview) -> str:
        return excerpt(obj.success)

    @admin.display(description="feedback")
    def feedback_item(self, obj: JtbdInterview) -> str:
        return feedback_link(obj.feedback_id)


# --- on the launch: ship to them first ----------------------------------------------------------------------------


class LaunchPartnersInline(TabularInline):
    """The launch's design-partner programs, their partners and last check-ins, and what to do: ship to them first."""

    model = DesignPartnerProgram
    fields = ["program", "partners", "ship_first"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name = "design-partner program"
    verbose_name_plural = "design partners: ship to them first"

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def get_queryset(self, request) -> QuerySet:
        partners = DesignPartner.objects.select_related("customer").annotate(last_check_in=Max("check_ins__week"))
        return super().get_queryset(request).select_related("launch").prefetch_related(Prefetch("partners", partners))

    @admin.display(description="program")
    def program(self, obj: DesignPartnerProgram) -> str:
        return link(obj, obj.pk, obj.name)

    @admin.display(description="partners (last check-in)")
    def partners(self, obj: DesignPartnerProgram) -> str:
        partners = list(obj.partners.all())
        size = discovery.ProgramSize(len(partners))
        return format_html(
            "{}<ul>{}</ul>", pill(size.text, "amber" if size.setting_up else "green"), partner_lines(partners)
        )

    @admin.display(description="status")
    def ship_first(self, obj: DesignPartnerProgram) -> str:
        if obj.launch.status == LaunchStatus.SHIPPED:
            return pill("Shipped", "green")
        return format_html(
            "{} Turn it on for these accounts before anyone else, then check in with each every week.",
            pill("Ship to them first", "blue"),
        )


LaunchAdmin.inlines = [*LaunchAdmin.inlines, LaunchPartnersInline]
