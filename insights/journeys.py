"""Journey surveys (issue 11, seed 004 "Journey Surveys"): a survey sent when a customer reaches a step of their
journey, answered once through a signed link. Every door comes through here: the admin (``create_survey`` /
``update_survey``, whose form runs ``validate_questions`` and ``validate_definition``), the domain event of product
events (``product_events_recorded``), the minute task (``send_due``), the public page (``invitation_for_token``,
``mark_opened``, ``validate_answers``, ``submit``) and the demo. Figures are in ``insights.journey_figures``.

- **Definition**: 3–5 questions of four kinds: ``nps`` (0–10), ``csat`` (1–5), ``choice`` (one of 2–10 choices) and
  ``text`` (at most 5,000 characters); keys unique slugs. A survey asks at most one NPS and one CSAT question, and at
  least one of the two: the survey's figure is read from it, and its free text travels with it as a comment. Once
  a survey has sent an invitation its questions' keys, kinds and choices are fixed (texts and order may change): to
  ask something else, copy it (``copy_survey``). The definitions live in ``insights.journey_definitions``.
- **Trigger**: an event whose name is an enabled survey's ``trigger_event``, whose properties contain
  ``trigger_match`` (equal values), whose persona is among ``personas`` (none: any), which occurred inside the
  survey's active dates and at most ``MAX_EVENT_AGE`` ago (a backfill of old events surveys nobody) gets one
  invitation, due ``delay_minutes`` after it occurred. ``(survey, event)`` is unique and the insert ignores conflicts:
  the same occurrence announced twice (a re-processed domain event) invites once. An event without a contact invites
  nobody.
- **Contact**: on an e-mail survey the event's contact must be an e-mail address (stored lower-case); on a Slack
  survey it is the Slack destination, a channel name starting with ``#`` that the hub has a webhook for (for example
  a Slack Connect channel shared with the customer; ``notifications.channels``). Any other contact is recorded as
  skipped, reason ``no_address``, so the list shows why nobody was asked.
- **Sending** (``send_due``, every minute): each due invitation in its own transaction, under an advisory lock on its
  contact, so two workers, or two due invitations of one contact, are decided one after the other: a contact sent any
  survey within ``JourneySettings.cooldown_days`` is skipped (reason ``cooldown``, never queued for later); a survey
  switched off or out of its dates by then is skipped (``inactive``); otherwise the message goes to the outbox (key
  ``survey:<invitation id>``) with the absolute link, and the invitation is marked sent with its expiry, together.
  The link's base is ``HUB_BASE_URL`` (``base_url``); unset, DEBUG uses ``LOCAL_BASE_URL`` (``make run``'s
  http://127.0.0.1:8000: set HUB_BASE_URL when running elsewhere), and otherwise nothing is sent: the due
  invitations stay scheduled (a dead relative link would start the contact's cooldown for nothing), one warning per
  run, and the system check ``insights.W001`` (``insights.checks``) says so.
- **Link**: ``django.core.signing`` (salt ``SALT``) over the invitation's id and its random nonce. Refused: a forged
  or altered token, one whose nonce is not its invitation's, one never sent, one expired, one already answered. The
  refusals say nothing about anybody: not found and forged read the same.
- **Answers** (``submit``, one transaction): the ``SurveySubmission`` (one per invitation: a second, even from another
  tab at the same instant, meets the unique constraint and is refused as already answered), one ``SurveyResponse``
  per NPS/CSAT question (source ``journey``, external id ``<invitation>:<question key>``), the invitation answered;
  the free text becomes the comment of the survey's first score answer and, through
  ``insights.surveys.comments_to_feedback`` (the ingestion), a feedback item queued for triage, linked from the
  submission and the answer. The source ``journey`` is reserved: the API and the import refuse it, so no other door
  takes an answer's key; should one be there anyway (older data), the answers are refused (``CONFLICT``, 409) and
  nothing is stored or overwritten, never a server error.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from insights import surveys
from insights.api.serializers import JOURNEY_SOURCE
from insights.choices import InvitationStatus, SkipReason, SurveyKind
from insights.journey_definitions import (  # noqa: F401 - re-exported: journeys is the door to the definitions too
    CHANNELS,
    CHOICE,
    CSAT,
    DEFINITION_FIELDS,
    KEY_PATTERN,
    KINDS,
    MAX_CHOICE_TEXT,
    MAX_CHOICES,
    MAX_QUESTION_TEXT,
    MAX_QUESTIONS,
    MAX_TEXT,
    MIN_CHOICES,
    MIN_QUESTIONS,
    NPS,
    PERSONA_PATTERN,
    SCORE_RANGES,
    TEXT,
    check_questions_kept,
    copy_survey,
    create_survey,
    question_shape,
    update_survey,
    validate_definition,
    validate_questions,
)
from insights.models import (
    JourneySettings,
    JourneySurvey,
    ProductEvent,
    SurveyInvitation,
    SurveyResponse,
    SurveySubmission,
)
from notifications import services as notifications
from notifications.choices import Channel, Kind
from notifications.handlers import hub_url

log = logging.getLogger(__name__)

SALT = "insights.journeys.invitation-link"
SOURCE = JOURNEY_SOURCE  # SurveyResponse.source of the answers to journey surveys (the API and imports refuse it)
MAX_EVENT_AGE = timedelta(days=7)  # an older event (a backfill) triggers no survey: nobody remembers that moment
SEND_BATCH = 500  # invitations decided per run of the minute task; the rest wait a minute
LOCAL_BASE_URL = (
    "http://127.0.0.1:8000"  # make run's address (PORT 8000): the links' base in DEBUG without HUB_BASE_URL
)
NO_BASE_URL = (
    "Journey surveys: %s due invitation(s) left scheduled, none sent: HUB_BASE_URL is not set, so the survey link "
    "would not open from a mailbox. Set HUB_BASE_URL (e.g. https://hub.example.com) and they go out on the next run."
)
LOCK_NAMESPACE = 0x4A53  # "JS": first key of the advisory lock on a contact (the second is hashtext(contact))


def journey_settings() -> JourneySettings:
    """The settings row (created with the defaults if a migration did not)."""
    row, _ = JourneySettings.objects.get_or_create(pk=1)
    return row


def is_active(survey: JourneySurvey, at: datetime) -> bool:
    """Whether ``survey`` is switched on and ``at`` falls inside its active dates."""
    return (
        survey.enabled
        and (survey.active_from is None or survey.active_from <= at)
        and (survey.active_until is None or at < survey.active_until)
    )


# --- Trigger ----------------------------------------------------------------------------------------------------------


def product_events_recorded(payload: dict) -> None:
    """``product_events.recorded`` {"ids", "names"} (``insights.events``): invite for the new events."""
    invite_for_events(event_ids=payload.get("ids") or [], names=payload.get("names"))


def matches(survey: JourneySurvey, event: ProductEvent) -> bool:
    """Whether ``event`` triggers ``survey`` (name, properties, persona, active dates); its age is not looked at."""
    properties = event.properties if isinstance(event.properties, dict) else {}
    return (
        event.name == survey.trigger_event
        and all(key in properties and properties[key] == value for key, value in survey.trigger_match.items())
        and (not survey.personas or event.persona in survey.personas)
        and is_active(survey, event.occurred_at)
    )


def contact_address(*, channel: str, contact: str) -> str:
    """The address ``contact`` gives on ``channel`` (an e-mail lower-cased, a ``#channel``), or "" if none."""
    contact = contact.strip()
    if channel == Channel.SLACK:
        return contact if contact.startswith("#") and len(contact) > 1 else ""
    try:
        validate_email(contact)
    except ValidationError:
        return ""
    return contact.lower()


def invite_for_events(
    *, event_ids: Sequence[int], names: Sequence[str] | None = None, now: datetime | None = None
) -> int:
    """Schedule one invitation per (survey, event) that matches; returns how many were new. Idempotent."""
    now = now or timezone.now()
    surveys_by_event: dict[str, list[JourneySurvey]] = {}
    wanted = JourneySurvey.objects.filter(enabled=True)
    if names is not None:
        wanted = wanted.filter(trigger_event__in=list(names))
    for survey in wanted:
        surveys_by_event.setdefault(survey.trigger_event, []).append(survey)
    if not surveys_by_event or not event_ids:
        return 0
    events = ProductEvent.objects.filter(
        pk__in=list(event_ids), name__in=list(surveys_by_event), occurred_at__gte=now - MAX_EVENT_AGE
    ).exclude(contact="")
    invitations = []
    for event in events:
        for survey in surveys_by_event[event.name]:
            if not matches(survey, event):
                continue
            address = contact_address(channel=survey.channel, contact=event.contact)
            invitations.append(
                SurveyInvitation(
                    survey=survey,
                    event=event,
                    customer_id=event.customer_id,
                    contact=address or event.contact.strip()[:254],
                    persona=event.persona,
                    status=InvitationStatus.SCHEDULED if address else InvitationStatus.SKIPPED,
                    skip_reason="" if address else SkipReason.NO_ADDRESS,
                    nonce=secrets.token_urlsafe(16),
                    due_at=event.occurred_at + timedelta(minutes=survey.delay_minutes),
                )
            )
    if not invitations:
        return 0
    before = SurveyInvitation.objects.filter(event_id__in=[i.event_id for i in invitations]).count()
    SurveyInvitation.objects.bulk_create(invitations, ignore_conflicts=True)  # (survey, event): once per occurrence
    return SurveyInvitation.objects.filter(event_id__in=[i.event_id for i in invitations]).count() - before


# --- Sending ----------------------------------------------------------------------------------------------------------


@dataclass
class SendResult:
    """What one run of ``send_due`` decided."""

    sent: int = 0
    skipped: int = 0
    held: int = 0  # due but left scheduled: no base URL for the link (``base_url``)


def send_due(*, now: datetime | None = None, limit: int = SEND_BATCH, fallback_base: str = "") -> SendResult:
    """Decide the invitations due by ``now`` (oldest first, at most ``limit``), each in its own transaction.

    With no base for the links (``base_url``, else ``fallback_base``: the demo passes ``LOCAL_BASE_URL``) nothing is
    sent: the due invitations stay scheduled (``held``) and one warning is logged.
    """
    now = now or timezone.now()
    base = base_url() or fallback_base
    cooldown = timedelta(days=journey_settings().cooldown_days)
    due = (
        SurveyInvitation.objects.filter(status=InvitationStatus.SCHEDULED, due_at__lte=now)
        .order_by("due_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    result = SendResult()
    if not base:
        result.held = len(due)
        if result.held:
            log.warning(NO_BASE_URL, result.held)  # once per run, however many are due
        return result
    for invitation_id in list(due):
        outcome = send_invitation(invitation_id=invitation_id, now=now, cooldown=cooldown, base=base)
        if outcome == InvitationStatus.SENT:
            result.sent += 1
        elif outcome == InvitationStatus.SKIPPED:
            result.skipped += 1
    return result


def send_invitation(
    *, invitation_id: int, now: datetime | None = None, cooldown: timedelta | None = None, base: str | None = None
) -> str:
    """Send or skip one scheduled invitation; returns its new status ("" if it was not scheduled any more, or is
    left scheduled because there is no base for its link: ``base``, else ``base_url``).

    One transaction under an advisory lock on the contact: the cooldown check and the send of two invitations of one
    contact never interleave, whichever workers run them.
    """
    now = now or timezone.now()
    base = base or base_url()
    if not base:
        return ""  # left scheduled: a message without a working link would start the contact's cooldown for nothing
    if cooldown is None:
        cooldown = timedelta(days=journey_settings().cooldown_days)
    contact = SurveyInvitation.objects.filter(pk=invitation_id).values_list("contact", flat=True).first()
    if contact is None:
        return ""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [LOCK_NAMESPACE, contact])
        invitation = (
            SurveyInvitation.objects.select_for_update(of=("self",))
            .select_related("survey", "customer")
            .filter(pk=invitation_id, status=InvitationStatus.SCHEDULED)
            .first()
        )
        if invitation is None:
            return ""  # decided by another run meanwhile
        if not is_active(invitation.survey, now):
            return _skip(invitation, SkipReason.INACTIVE)
        recent = SurveyInvitation.objects.filter(contact=invitation.contact, sent_at__gt=now - cooldown)
        if cooldown and recent.exclude(pk=invitation.pk).exists():
            return _skip(invitation, SkipReason.COOLDOWN)
        link_days = journey_settings().link_valid_days
        invitation.sent_at, invitation.expires_at = now, now + timedelta(days=link_days)
        invitation.notification, _ = notifications.enqueue(
            key=f"survey:{invitation.pk}",
            kind=Kind.SURVEY,
            channel=invitation.survey.channel,
            recipient=invitation.contact,
            subject=invitation.survey.name,
            body=render_to_string(
                "insights/journeys/invitation.txt",
                {"invitation": invitation, "survey": invitation.survey, "url": answer_url(invitation, base=base)},
            ),
        )
        invitation.status = InvitationStatus.SENT
        invitation.save(update_fields=["status", "sent_at", "expires_at", "notification"])
    return InvitationStatus.SENT


def _skip(invitation: SurveyInvitation, reason: str) -> str:
    invitation.status, invitation.skip_reason = InvitationStatus.SKIPPED, reason
    invitation.save(update_fields=["status", "skip_reason"])
    return InvitationStatus.SKIPPED


# --- The link ---------------------------------------------------------------------------------------------------------


def token_for(invitation: SurveyInvitation) -> str:
    """The signed token of ``invitation``'s link (its id and nonce)."""
    return signing.dumps([invitation.pk, invitation.nonce], salt=SALT, compress=False)


def base_url() -> str:
    """Where the hub answers from outside, for the links in survey messages: ``settings.HUB_BASE_URL`` (through
    ``notifications.handlers.hub_url``, as every message's link); unset, in DEBUG, ``LOCAL_BASE_URL`` (``make run``'s
    address, so the demo's links open); unset otherwise, "": no link can be made, so nothing is sent."""
    return hub_url("") or (LOCAL_BASE_URL if settings.DEBUG else "")


def answer_url(invitation: SurveyInvitation, *, base: str | None = None) -> str:
    """The absolute address of ``invitation``'s answer page, on ``base`` (default ``base_url()``; "" with none)."""
    base = base or base_url()
    return base + reverse("journeys:answer", args=[token_for(invitation)]) if base else ""


INVALID, EXPIRED, ANSWERED, CONFLICT = "invalid", "expired", "answered", "conflict"


class Refused(Exception):
    """A link that cannot be answered: ``reason`` is ``INVALID`` (404), ``EXPIRED`` or ``ANSWERED`` (410), or
    ``CONFLICT`` (409: the answers could not be stored, see ``submit``)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason

    @property
    def status(self) -> int:
        return {INVALID: 404, CONFLICT: 409}.get(self.reason, 410)


def invitation_for_token(token: str, *, now: datetime | None = None) -> SurveyInvitation:
    """The sent, unexpired, unanswered invitation ``token`` names (with its survey and customer), or ``Refused``."""
    try:
        pk, nonce = signing.loads(token, salt=SALT)
        pk, nonce = int(pk), str(nonce)
    except (signing.BadSignature, ValueError, TypeError):
        raise Refused(INVALID) from None
    invitation = SurveyInvitation.objects.select_related("survey", "customer").filter(pk=pk).first()
    if invitation is None or not constant_time_compare(invitation.nonce, nonce):
        raise Refused(INVALID)
    if invitation.status == InvitationStatus.ANSWERED:
        raise Refused(ANSWERED)
    if invitation.status != InvitationStatus.SENT:
        raise Refused(INVALID)  # never sent: nobody was given this link
    if invitation.expires_at is not None and invitation.expires_at <= (now or timezone.now()):
        raise Refused(EXPIRED)
    return invitation


def mark_opened(invitation: SurveyInvitation, *, now: datetime | None = None) -> None:
    """Record the first time the page was opened (later openings change nothing)."""
    now = now or timezone.now()
    if SurveyInvitation.objects.filter(pk=invitation.pk, opened_at__isnull=True).update(opened_at=now):
        invitation.opened_at = now


# --- Answers ----------------------------------------------------------------------------------------------------------


def validate_answers(questions: Sequence[Mapping], data: Mapping[str, object]) -> tuple[dict, dict[str, str]]:
    """``data`` (the form's values by question key) checked against ``questions``: (answers, errors by key).

    NPS 0–10 and CSAT 1–5 are required; a choice must be one of the question's; a text is at most ``MAX_TEXT``
    characters. Empty optional answers are left out.
    """
    answers, errors = {}, {}
    for question in questions:
        key, kind = question["key"], question["kind"]
        raw = data.get(key)
        value = "" if raw is None else str(raw).replace("\x00", "").strip()
        if kind in SCORE_RANGES:
            low, high = SCORE_RANGES[kind]
            if not value:
                errors[key] = "Please choose a score."
            elif not value.isdigit() or not low <= int(value) <= high:
                errors[key] = f"Choose a score from {low} to {high}."
            else:
                answers[key] = int(value)
        elif kind == CHOICE and value:
            if value in question.get("choices", []):
                answers[key] = value
            else:
                errors[key] = "Choose one of the answers offered."
        elif kind == TEXT and value:
            if len(value) > MAX_TEXT:
                errors[key] = f"At most {MAX_TEXT:,} characters, please ({len(value):,} now)."
            else:
                answers[key] = value
    return answers, errors


def submit(*, invitation: SurveyInvitation, answers: Mapping[str, object], now: datetime | None = None):
    """Store ``answers`` (from ``validate_answers``) to ``invitation`` in one transaction; the ``SurveySubmission``.

    Raises ``Refused(ANSWERED)`` when the invitation has its submission already (however close the two came), and
    ``Refused(EXPIRED)`` past its expiry.
    """
    now = now or timezone.now()
    if invitation.expires_at is not None and invitation.expires_at <= now:
        raise Refused(EXPIRED)
    survey = invitation.survey
    questions = survey.questions
    with transaction.atomic():
        try:
            with transaction.atomic():
                submission = SurveySubmission.objects.create(invitation=invitation, answers=dict(answers))
        except IntegrityError:
            raise Refused(ANSWERED) from None
        email = invitation.contact if survey.channel == Channel.EMAIL else ""
        try:
            responses = _store_scores(invitation, questions, answers, submission=submission, now=now, email=email)
        except IntegrityError:
            # an answer with the journey source and this invitation's key is stored already, not by this page (the
            # API and the import refuse the source; data from before that, or typed in the admin). The refusal
            # leaves the transaction, which rolls the submission back: nothing is stored, staff read why in the log.
            log.error(
                "Journey survey invitation %s: its answers collide with stored survey responses (source %r, "
                "external ids %s:<question>); nothing stored.",
                invitation.pk,
                SOURCE,
                invitation.pk,
            )
            raise Refused(CONFLICT) from None
        surveys.comments_to_feedback(responses=responses, received_via=f"journey-survey:{survey.key}")
        if responses and responses[0].feedback_id:
            submission.feedback_id = responses[0].feedback_id
            submission.save(update_fields=["feedback"])
        SurveyInvitation.objects.filter(pk=invitation.pk).update(
            status=InvitationStatus.ANSWERED, answered_at=now, opened_at=Coalesce("opened_at", now)
        )
    invitation.status, invitation.answered_at = InvitationStatus.ANSWERED, now
    return submission


def _store_scores(invitation, questions, answers, *, submission, now, email) -> list[SurveyResponse]:
    """One ``SurveyResponse`` per NPS/CSAT question (the first carries the free text as its comment)."""
    survey = invitation.survey
    return SurveyResponse.objects.bulk_create(
        [
            SurveyResponse(
                kind=SurveyKind(q["kind"]),
                score=answers[q["key"]],
                customer=invitation.customer,
                contact_email=email,
                survey=survey.name[:120],
                source=SOURCE,
                external_id=f"{invitation.pk}:{q['key']}",
                responded_at=now,
                submission=submission,
                comment=_free_text(questions, answers) if number == 0 else "",
            )
            for number, q in enumerate(q for q in questions if q["kind"] in SCORE_RANGES)
        ]
    )


def _free_text(questions: Sequence[Mapping], answers: Mapping[str, object]) -> str:
    """The text answers as one comment: the answer alone, or each under its question when there are several."""
    texts = [(q["text"], answers[q["key"]]) for q in questions if q["kind"] == TEXT and answers.get(q["key"])]
    if len(texts) == 1:
        return texts[0][1]
    return "\n\n".join(f"{question}\n{answer}" for question, answer in texts)
