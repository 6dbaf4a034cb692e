"""Journey surveys (issue 11, seed 004 "Journey Surveys"): a survey sent when a customer reaches a step of their
journey, answered once through a signed link. Every door comes through here: the admin (``create_survey`` /
``update_survey``, whose form runs ``validate_questions`` and ``validate_definition``), the domain event of product
events (``product_events_recorded``), the minute task (``send_due``), the public page (``invitation_for_token``,
``mark_opened``, ``validate_answers``, ``submit``) and the demo. Figures are in ``insights.journey_figures``.

- **Definition**: 3–5 questions of four kinds: ``nps`` (0–10), ``csat`` (1–5), ``choice`` (one of 2–10 choices) and
  ``text`` (at most 5,000 characters); keys unique slugs. A survey asks at most one NPS and one CSAT question, and at
  least one of the two: the survey's figure is read from it, and its free text travels with it as a comment.
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
- **Link**: ``django.core.signing`` (salt ``SALT``) over the invitation's id and its random nonce. Refused: a forged
  or altered token, one whose nonce is not its invitation's, one never sent, one expired, one already answered. The
  refusals say nothing about anybody: not found and forged read the same.
- **Answers** (``submit``, one transaction): the ``SurveySubmission`` (one per invitation: a second, even from another
  tab at the same instant, meets the unique constraint and is refused as already answered), one ``SurveyResponse``
  per NPS/CSAT question (source ``journey``, external id ``<invitation>:<question key>``), the invitation answered;
  the free text becomes the comment of the survey's first score answer and, through
  ``insights.surveys.comments_to_feedback`` (the ingestion), a feedback item queued for triage, linked from the
  submission and the answer.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

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
from insights.choices import InvitationStatus, SkipReason, SurveyKind
from insights.models import (
    PRODUCT_EVENT_NAME_PATTERN,
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

SALT = "insights.journeys.invitation-link"
SOURCE = "journey"  # SurveyResponse.source of the answers to journey surveys
NPS, CSAT, CHOICE, TEXT = "nps", "csat", "choice", "text"
KINDS = (NPS, CSAT, CHOICE, TEXT)
SCORE_RANGES = {NPS: (0, 10), CSAT: (1, 5)}
MIN_QUESTIONS, MAX_QUESTIONS = 3, 5
MIN_CHOICES, MAX_CHOICES = 2, 10
MAX_TEXT = 5_000  # characters of a free-text answer
MAX_QUESTION_TEXT = 300
MAX_CHOICE_TEXT = 100
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
PERSONA_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
CHANNELS = (Channel.EMAIL.value, Channel.SLACK.value)
MAX_EVENT_AGE = timedelta(days=7)  # an older event (a backfill) triggers no survey: nobody remembers that moment
SEND_BATCH = 500  # invitations decided per run of the minute task; the rest wait a minute
LOCK_NAMESPACE = 0x4A53  # "JS": first key of the advisory lock on a contact (the second is hashtext(contact))


# --- Definitions ------------------------------------------------------------------------------------------------------


def validate_questions(questions: object) -> list[dict]:
    """The questions, cleaned (keys, kinds and texts trimmed; ``choices`` only on choice questions), or a
    ``ValidationError`` naming every problem, question by question."""
    if not isinstance(questions, list):
        raise ValidationError("Questions must be a list of objects, each with a key, a kind and a text.")
    problems, cleaned, keys = [], [], set()
    if not MIN_QUESTIONS <= len(questions) <= MAX_QUESTIONS:
        problems.append(f"A survey asks {MIN_QUESTIONS}–{MAX_QUESTIONS} questions; this one has {len(questions)}.")
    for number, question in enumerate(questions, start=1):
        if not isinstance(question, dict):
            problems.append(f"Question {number}: must be an object with a key, a kind and a text.")
            continue
        key = str(question.get("key", "")).strip()
        kind = str(question.get("kind", "")).strip().lower()
        text = str(question.get("text", "")).strip()
        name = f"Question {number}" + (f" ({key})" if key else "")
        if not KEY_PATTERN.match(key):
            problems.append(f"{name}: its key must be a lower-case slug of letters, digits and _ (at most 40).")
        elif key in keys:
            problems.append(f"{name}: another question has the key {key!r}; keys must be unique.")
        keys.add(key)
        if kind not in KINDS:
            problems.append(f"{name}: its kind must be one of {', '.join(KINDS)}, not {kind!r}.")
        if not text or len(text) > MAX_QUESTION_TEXT:
            problems.append(f"{name}: its text must be 1–{MAX_QUESTION_TEXT} characters.")
        unknown = set(question) - {"key", "kind", "text", "choices"}
        if unknown:
            problems.append(f"{name}: unknown field(s) {', '.join(sorted(unknown))}.")
        item = {"key": key, "kind": kind, "text": text}
        if kind == CHOICE:
            choices = question.get("choices")
            if not isinstance(choices, list) or not MIN_CHOICES <= len(choices) <= MAX_CHOICES:
                count = len(choices) if isinstance(choices, list) else 0
                problems.append(f"{name}: a choice question needs {MIN_CHOICES}–{MAX_CHOICES} choices; it has {count}.")
            else:
                item["choices"] = [str(choice).strip() for choice in choices]
                if any(not c or len(c) > MAX_CHOICE_TEXT for c in item["choices"]):
                    problems.append(f"{name}: every choice must be 1–{MAX_CHOICE_TEXT} characters.")
                if len(set(item["choices"])) != len(item["choices"]):
                    problems.append(f"{name}: its choices must differ from one another.")
        elif "choices" in question:
            problems.append(f"{name}: only a choice question has choices.")
        cleaned.append(item)
    kinds = [item["kind"] for item in cleaned]
    for kind in (NPS, CSAT):
        if kinds.count(kind) > 1:
            problems.append(f"A survey asks at most one {kind.upper()} question (its figure is read from it).")
    if cleaned and NPS not in kinds and CSAT not in kinds:
        problems.append("A survey asks one NPS or one CSAT question: its figures are read from it.")
    if problems:
        raise ValidationError(problems)
    return cleaned


def validate_definition(
    *,
    trigger_event: str,
    trigger_match: object = None,
    personas: Sequence[str] = (),
    channel: str = Channel.EMAIL,
    active_from: datetime | None = None,
    active_until: datetime | None = None,
) -> dict:
    """The trigger, segments, channel and dates, cleaned, or a ``ValidationError`` by field."""
    errors: dict[str, list[str]] = {}
    trigger_event = (trigger_event or "").strip()
    if not re.match(PRODUCT_EVENT_NAME_PATTERN, trigger_event):
        errors["trigger_event"] = ["A product event name: a lower-case slug (value_delivered, report_sent, …)."]
    match = {} if trigger_match in (None, "") else trigger_match
    if not isinstance(match, dict) or any(isinstance(v, dict | list) for v in match.values()):
        errors["trigger_match"] = ['An object of property → value (text, number, true/false), e.g. {"plan": "pro"}.']
    personas = [p.strip() for p in personas or () if p.strip()]
    if any(not PERSONA_PATTERN.match(p) for p in personas):
        errors["personas"] = ["Persona segments are lower-case slugs, as product events name them."]
    if channel not in CHANNELS:
        errors["channel"] = [f"One of {', '.join(CHANNELS)}."]
    if active_from and active_until and active_until <= active_from:
        errors["active_until"] = ["Must be after the start of the active dates."]
    if errors:
        raise ValidationError(errors)
    return {
        "trigger_event": trigger_event,
        "trigger_match": match,
        "personas": list(dict.fromkeys(personas)),
        "channel": channel,
        "active_from": active_from,
        "active_until": active_until,
    }


DEFINITION_FIELDS = ("trigger_event", "trigger_match", "personas", "channel", "active_from", "active_until")


def create_survey(*, key: str, name: str, trigger_event: str, questions: object, **fields) -> JourneySurvey:
    """A new survey, checked by ``validate_questions`` and ``validate_definition``."""
    survey = JourneySurvey(key=key, name=name)
    return update_survey(survey=survey, trigger_event=trigger_event, questions=questions, **fields)


def update_survey(*, survey: JourneySurvey, **fields) -> JourneySurvey:
    """Change ``survey`` (any of its fields), checked as a new one is; saved."""
    for name, value in fields.items():
        setattr(survey, name, value)
    survey.questions = validate_questions(survey.questions)
    definition = validate_definition(**{name: getattr(survey, name) for name in DEFINITION_FIELDS})
    for name, value in definition.items():
        setattr(survey, name, value)
    survey.full_clean(exclude=["questions", "trigger_match", "personas"])
    survey.save()
    return survey


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


def send_due(*, now: datetime | None = None, limit: int = SEND_BATCH) -> SendResult:
    """Decide the invitations due by ``now`` (oldest first, at most ``limit``), each in its own transaction."""
    now = now or timezone.now()
    cooldown = timedelta(days=journey_settings().cooldown_days)
    due = (
        SurveyInvitation.objects.filter(status=InvitationStatus.SCHEDULED, due_at__lte=now)
        .order_by("due_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    result = SendResult()
    for invitation_id in list(due):
        outcome = send_invitation(invitation_id=invitation_id, now=now, cooldown=cooldown)
        if outcome == InvitationStatus.SENT:
            result.sent += 1
        elif outcome == InvitationStatus.SKIPPED:
            result.skipped += 1
    return result


def send_invitation(*, invitation_id: int, now: datetime | None = None, cooldown: timedelta | None = None) -> str:
    """Send or skip one scheduled invitation; returns its new status ("" if it was not scheduled any more).

    One transaction under an advisory lock on the contact: the cooldown check and the send of two invitations of one
    contact never interleave, whichever workers run them.
    """
    now = now or timezone.now()
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
                {"invitation": invitation, "survey": invitation.survey, "url": answer_url(invitation)},
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


def answer_url(invitation: SurveyInvitation) -> str:
    """The absolute address of ``invitation``'s answer page (``settings.HUB_BASE_URL``)."""
    return hub_url(reverse("journeys:answer", args=[token_for(invitation)]))


INVALID, EXPIRED, ANSWERED = "invalid", "expired", "answered"


class Refused(Exception):
    """A link that cannot be answered: ``reason`` is ``INVALID`` (404), ``EXPIRED`` or ``ANSWERED`` (410)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason

    @property
    def status(self) -> int:
        return 404 if self.reason == INVALID else 410


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
        responses = SurveyResponse.objects.bulk_create(
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
        surveys.comments_to_feedback(responses=responses, received_via=f"journey-survey:{survey.key}")
        if responses and responses[0].feedback_id:
            submission.feedback_id = responses[0].feedback_id
            submission.save(update_fields=["feedback"])
        SurveyInvitation.objects.filter(pk=invitation.pk).update(
            status=InvitationStatus.ANSWERED, answered_at=now, opened_at=Coalesce("opened_at", now)
        )
    invitation.status, invitation.answered_at = InvitationStatus.ANSWERED, now
    return submission


def _free_text(questions: Sequence[Mapping], answers: Mapping[str, object]) -> str:
    """The text answers as one comment: the answer alone, or each under its question when there are several."""
    texts = [(q["text"], answers[q["key"]]) for q in questions if q["kind"] == TEXT and answers.get(q["key"])]
    if len(texts) == 1:
        return texts[0][1]
    return "\n\n".join(f"{question}\n{answer}" for question, answer in texts)
