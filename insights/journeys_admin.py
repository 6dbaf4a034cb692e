"""Journey surveys in the admin (issue 11): the surveys (trigger, segments, questions, dates) with their figures, the
single settings row (cooldown, link validity) and a read-only list of invitations (sent, skipped and why, answered).

Registered by ``insights.admin`` importing this module. Every rule lives in ``insights.journeys``: the survey form's
``clean`` runs ``validate_questions`` and ``validate_definition`` (each problem named, question by question) and the
save goes through ``update_survey``. The list's figures are correlated counts on the surveys shown (a handful of
rows); the change page shows ``insights.journey_figures`` per persona segment (one query).
"""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import OuterRef, QuerySet
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from unfold.decorators import display

from customers.selectors import visible_to
from feedbackhub.admin_tools import HubModelAdmin, ReadOnlyAdminMixin, count_of
from feedbackhub.formatting import link, pill
from insights import journey_figures, journeys, survey_math
from insights.choices import InvitationStatus
from insights.models import JourneySettings, JourneySurvey, SurveyInvitation, SurveyResponse
from notifications.models import Notification

STATUS_VARIANTS = {
    InvitationStatus.SCHEDULED: "info",
    InvitationStatus.SENT: "warning",
    InvitationStatus.SKIPPED: "default",
    InvitationStatus.ANSWERED: "success",
}
TABLE = 'style="border-collapse:collapse;margin:.25rem 0 .75rem" class="journey-figures"'
CELL = 'style="padding:.2rem .6rem;border-bottom:1px solid #e5e7eb;text-align:left"'
QUESTIONS_HELP = format_html(
    "A list of 3–5 questions, each <code>{}</code>. Kinds: <b>nps</b> (0–10), <b>csat</b> (1–5), <b>choice</b> "
    "(one of 2–10 <code>choices</code>), <b>text</b> (free text, up to 5,000 characters; it becomes a feedback "
    "item). Keys are unique lower-case slugs. Ask one NPS or one CSAT question (at most one of each): the survey's "
    "figure is read from it. Scores are required; choices and text are optional. Example: <code>{}</code>",
    '{"key": "…", "kind": "…", "text": "…"}',
    '[{"key": "recommend", "kind": "nps", "text": "How likely are you to recommend us?"}, '
    '{"key": "solved", "kind": "choice", "text": "Is it solved?", "choices": ["Yes", "No"]}, '
    '{"key": "why", "kind": "text", "text": "Why?"}]',
)


class PrettyJSONField(forms.JSONField):
    """A JSON field shown indented, so that a list of questions reads one key per line."""

    def prepare_value(self, value):
        if isinstance(value, forms.fields.InvalidJSONInput):
            return value
        return json.dumps(value, ensure_ascii=False, indent=2)


class JourneySurveyForm(forms.ModelForm):
    """A survey, checked by ``insights.journeys`` (questions, trigger, segments, channel, dates)."""

    questions = PrettyJSONField(widget=forms.Textarea(attrs={"rows": 18, "style": "font-family:monospace"}))
    trigger_match = PrettyJSONField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    channel = forms.ChoiceField(
        choices=[("email", "E-mail (the event's contact is an e-mail address)"), ("slack", "Slack (a #channel)")]
    )

    class Meta:
        model = JourneySurvey
        fields = [
            "key",
            "name",
            "intro",
            "trigger_event",
            "trigger_match",
            "personas",
            "channel",
            "delay_minutes",
            "active_from",
            "active_until",
            "enabled",
            "questions",
        ]
        help_texts = {"questions": QUESTIONS_HELP}

    def clean_questions(self):
        try:
            questions = journeys.validate_questions(self.cleaned_data.get("questions"))
            journeys.check_questions_kept(self.instance, questions)  # fixed once invitations went out
        except ValidationError as error:
            raise ValidationError(error.messages) from error
        return questions

    def clean(self):
        data = super().clean()
        fields = {name: data.get(name) for name in journeys.DEFINITION_FIELDS if name in data}
        if "trigger_event" not in fields:
            return data
        try:
            data.update(journeys.validate_definition(**fields))
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                self.add_error(name if name in self.fields else None, messages)
        return data


@admin.register(JourneySurvey)
class JourneySurveyAdmin(HubModelAdmin):
    """Surveys sent when a product event happens; their figures per persona on each page."""

    form = JourneySurveyForm
    actions = ["copy_surveys"]
    list_display = [
        "name",
        "trigger",
        "segments",
        "channel",
        "active_label",
        "sent_n",
        "answered_n",
        "rate",
        "nps_column",
    ]
    list_display_links = ["name"]
    list_filter = ["enabled", "trigger_event", "channel"]
    search_fields = ["key", "name", "trigger_event"]
    offers_saved_views = False
    readonly_fields = ["figures_table", "created_at"]
    fieldsets = [
        (None, {"fields": ["key", "name", "intro", "enabled"]}),
        ("Trigger", {"fields": ["trigger_event", "trigger_match", "personas", "delay_minutes"]}),
        ("Delivery and dates", {"fields": ["channel", "active_from", "active_until"]}),
        ("Questions", {"fields": ["questions"]}),
        ("Figures", {"fields": ["figures_table"]}),
    ]

    def get_queryset(self, request) -> QuerySet:
        """Each survey with its sends, answers and NPS counts (correlated counts on the rows shown)."""
        invitations = SurveyInvitation.objects.filter(survey=OuterRef("pk"))
        nps = SurveyResponse.objects.filter(submission__invitation__survey=OuterRef("pk"), kind="nps")
        by = "submission__invitation__survey"
        return (
            super()
            .get_queryset(request)
            .annotate(
                sent_count=count_of(invitations.filter(survey_math.SENT_Q), by="survey"),
                answered_count=count_of(invitations.filter(survey_math.ANSWERED_Q), by="survey"),
                nps_count=count_of(nps, by=by),
                promoters=count_of(nps.filter(survey_math.PROMOTER_Q), by=by),
                detractors=count_of(nps.filter(survey_math.DETRACTOR_Q), by=by),
            )
        )

    def save_model(self, request, obj: JourneySurvey, form, change: bool) -> None:
        """Through ``insights.journeys.update_survey`` (its rules already ran in the form's ``clean``)."""
        journeys.update_survey(survey=obj)

    @admin.action(description="Copy survey (a new one, switched off)", permissions=["add"])
    def copy_surveys(self, request, queryset: QuerySet) -> None:
        """A copy of each selected survey through ``insights.journeys.copy_survey``: to change the questions of a
        survey that has sent invitations, copy it, edit the copy, switch the old one off."""
        copies = [journeys.copy_survey(survey) for survey in queryset.order_by("name")]
        self.message_user(
            request,
            format_html(
                "Copied, switched off until you enable them: {}.",
                format_html_join(", ", "{}", ((link(copy, copy.pk, copy.name),) for copy in copies)),
            ),
            messages.SUCCESS,
        )

    # --- Columns ------------------------------------------------------------------------------------------------------

    @admin.display(description="trigger", ordering="trigger_event")
    def trigger(self, obj: JourneySurvey) -> str:
        match = ", ".join(f"{key} = {value}" for key, value in obj.trigger_match.items())
        return format_html("{}{}", pill(obj.trigger_event, "info"), f" ({match})" if match else "")

    @admin.display(description="personas")
    def segments(self, obj: JourneySurvey) -> str:
        return ", ".join(obj.personas) or "every persona"

    @display(description="active", label={"on": "success", "off": "default"})
    def active_label(self, obj: JourneySurvey):
        on = journeys.is_active(obj, timezone.now())
        return ("on", "on") if on else ("off", "off" if not obj.enabled else "out of its dates")

    @admin.display(description="sent", ordering="sent_count")
    def sent_n(self, obj: JourneySurvey) -> int:
        return getattr(obj, "sent_count", 0)

    @admin.display(description="answered", ordering="answered_count")
    def answered_n(self, obj: JourneySurvey) -> int:
        return getattr(obj, "answered_count", 0)

    @admin.display(description="response rate")
    def rate(self, obj: JourneySurvey) -> str:
        sent = getattr(obj, "sent_count", 0)
        if sent < journey_figures.MIN_N:
            return journey_figures.TOO_FEW if sent else "—"
        return f"{survey_math.response_rate(obj.answered_count, sent):.0f} % (n = {sent})"

    @admin.display(description="NPS")
    def nps_column(self, obj: JourneySurvey) -> str:
        n = getattr(obj, "nps_count", 0)
        if n < journey_figures.MIN_N:
            return journey_figures.TOO_FEW if n else "—"
        return f"{round(survey_math.nps(obj.promoters, obj.detractors, n)):+d} (n = {n})"

    @admin.display(description="figures (all time)")
    def figures_table(self, obj: JourneySurvey) -> str:
        if obj.pk is None:
            return "—"
        entry = journey_figures.figures_for(obj)
        if entry is None:
            return "—"
        rows = [_figures_row("every persona", entry)] + [
            _figures_row(segment["persona"] or "(no persona)", segment) for segment in entry["segments"]
        ]
        note = format_html(
            "<p>Response rate against seed 003: {}–{} % today, {}–{} % the target. Under {} sends or answers a "
            "figure says “{}”. Opened: the page was loaded in a browser (or answered); e-mail link scanners that "
            "only fetch it are not counted, those that render it fully are, so it may run a little high.</p>",
            *journey_figures.TODAY_RATE,
            *journey_figures.TARGET_RATE,
            journey_figures.MIN_N,
            journey_figures.TOO_FEW,
        )
        head = ["persona", "sent", "skipped", "opened", "answered", "response rate", "NPS", "CSAT"]
        return format_html(
            "<table " + TABLE + "><thead><tr>{}</tr></thead><tbody>{}</tbody></table>{}",
            format_html_join("", "<th " + CELL + ">{}</th>", ((h,) for h in head)),
            format_html_join("", "<tr>{}</tr>", ((row,) for row in rows)),
            note,
        )


def _figures_row(label: str, figures: dict) -> str:
    rate = (
        f"{figures['response_rate']} % ({figures['response_rate_band']}; n = {figures['response_rate_n']})"
        if figures["response_rate"] is not None
        else f"{journey_figures.TOO_FEW} (n = {figures['response_rate_n']})"
    )
    nps = (
        f"{figures['nps']:+d} (n = {figures['nps_n']}: {figures['promoters']} promoters, "
        f"{figures['detractors']} detractors)"
        if figures["nps"] is not None
        else f"{journey_figures.TOO_FEW} (n = {figures['nps_n']})"
    )
    csat = (
        f"{figures['csat']} % satisfied (n = {figures['csat_n']})"
        if figures["csat"] is not None
        else f"{journey_figures.TOO_FEW} (n = {figures['csat_n']})"
    )
    cells = [label, figures["sent"], figures["skipped"], figures["opened"], figures["answered"], rate, nps, csat]
    return format_html_join("", "<td " + CELL + ">{}</td>", ((cell,) for cell in cells))


@admin.register(JourneySettings)
class JourneySettingsAdmin(HubModelAdmin):
    """The single settings row (created by migration 0009): edited, never added or deleted."""

    fields = ["cooldown_days", "link_valid_days"]
    list_display = ["__str__", "cooldown_days", "link_valid_days"]
    offers_saved_views = False

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SurveyInvitation)
class SurveyInvitationAdmin(ReadOnlyAdminMixin, HubModelAdmin):
    """Who was asked what, when, and what became of it (sent, skipped and why, opened, answered); never edited."""

    list_display = [
        "created_at",
        "survey",
        "contact",
        "customer_link",
        "persona",
        "status_label",
        "skip_reason",
        "due_at",
        "sent_at",
        "opened_at",
        "answered_at",
    ]
    list_display_links = ["created_at"]
    list_filter = ["status", "skip_reason", "survey"]
    search_fields = ["contact"]
    list_select_related = ["survey", "customer"]
    offers_saved_views = False
    fields = [
        "survey",
        "customer_link",
        "contact",
        "persona",
        "status_label",
        "skip_reason",
        "event_link",
        "due_at",
        "sent_at",
        "expires_at",
        "opened_at",
        "answered_at",
        "notification_link",
        "answers",
    ]
    readonly_fields = fields

    def get_queryset(self, request) -> QuerySet:
        return visible_to(super().get_queryset(request), request.user, prefix="customer__")

    @display(description="status", ordering="status", label=STATUS_VARIANTS)
    def status_label(self, obj: SurveyInvitation):
        return obj.status, obj.get_status_display()

    @admin.display(description="account", ordering="customer__name")
    def customer_link(self, obj: SurveyInvitation) -> str:
        return link(obj.customer, obj.customer_id, obj.customer.name)

    @admin.display(description="trigger event")
    def event_link(self, obj: SurveyInvitation) -> str:
        return "—" if obj.event_id is None else link(obj.event, obj.event_id, f"#{obj.event_id}")

    @admin.display(description="message")
    def notification_link(self, obj: SurveyInvitation) -> str:
        return "—" if obj.notification_id is None else link(Notification, obj.notification_id, "in the outbox")

    @admin.display(description="answers")
    def answers(self, obj: SurveyInvitation) -> str:
        submission = getattr(obj, "submission", None) if obj.status == InvitationStatus.ANSWERED else None
        if submission is None:
            return "—"
        texts = {q["key"]: q["text"] for q in obj.survey.questions}
        rows = format_html_join(
            "",
            "<tr><td " + CELL + ">{}</td><td " + CELL + ">{}</td></tr>",
            ((texts.get(key, key), value) for key, value in submission.answers.items()),
        )
        feedback = (
            format_html(
                "<p>Free text → feedback item {}</p>",
                link(submission.feedback, submission.feedback_id, f"#{submission.feedback_id}"),
            )
            if submission.feedback_id
            else ""
        )
        return format_html("<table " + TABLE + ">{}</table>{}", rows, feedback)
