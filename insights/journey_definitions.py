"""Journey survey definitions (issue 11, seed 004): the questions and the trigger checked, a survey created, changed
(its questions fixed once it has sent invitations) or copied. ``insights.journeys`` is the door (it re-exports these:
``journeys.create_survey`` and so on); the rules are described there and in each function.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime

from django.core.exceptions import ValidationError

from insights.models import PRODUCT_EVENT_NAME_PATTERN, JourneySurvey, SurveyInvitation
from notifications.choices import Channel

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
    """Change ``survey`` (any of its fields), checked as a new one is (and by ``check_questions_kept``); saved."""
    for name, value in fields.items():
        setattr(survey, name, value)
    survey.questions = validate_questions(survey.questions)
    check_questions_kept(survey, survey.questions)
    definition = validate_definition(**{name: getattr(survey, name) for name in DEFINITION_FIELDS})
    for name, value in definition.items():
        setattr(survey, name, value)
    survey.full_clean(exclude=["questions", "trigger_match", "personas"])
    survey.save()
    return survey


def question_shape(questions: Sequence[Mapping]) -> dict[str, tuple]:
    """What answers are checked against: each question's kind and choices, by key (its text and order aside)."""
    return {q["key"]: (q["kind"], tuple(q.get("choices") or ())) for q in questions}


def check_questions_kept(survey: JourneySurvey, questions: Sequence[Mapping]) -> None:
    """Once ``survey`` has sent invitations, its questions' keys, kinds and choices are fixed: an answer arriving
    later is checked against the questions, and its figures would mix two surveys. Texts (and the order) may change.
    Raises a ``ValidationError`` on ``questions`` saying to make a new survey (a copy) instead."""
    if survey.pk is None:
        return
    stored = JourneySurvey.objects.filter(pk=survey.pk).values_list("questions", flat=True).first()
    if stored is None or question_shape(stored) == question_shape(questions):
        return
    sent = SurveyInvitation.objects.filter(survey_id=survey.pk, sent_at__isnull=False).count()
    if sent:
        raise ValidationError(
            {
                "questions": [
                    f"This survey has sent {sent:,} invitation(s): its questions' keys, kinds and choices can no "
                    "longer change (answers to those links are checked against them, and its figures would mix "
                    "two surveys). Question texts may still change. To ask something else, make a new survey "
                    "(copy): the “Copy survey” action in the list, then switch this one off."
                ]
            }
        )


def copy_survey(survey: JourneySurvey) -> JourneySurvey:
    """A new survey with ``survey``'s definition and questions, switched off (its own invitations and figures):
    key ``<key>-copy`` (``-copy-2``, … if taken), name "<name> (copy)"."""
    base = f"{survey.key[: JourneySurvey._meta.get_field('key').max_length - 8]}-copy"
    taken = set(JourneySurvey.objects.filter(key__startswith=base).values_list("key", flat=True))
    key = next(k for k in (base, *(f"{base}-{n}" for n in range(2, len(taken) + 3))) if k not in taken)
    return create_survey(
        key=key,
        name=f"{survey.name[: JourneySurvey._meta.get_field('name').max_length - 7]} (copy)",
        trigger_event=survey.trigger_event,
        questions=[dict(q) for q in survey.questions],
        intro=survey.intro,
        trigger_match=dict(survey.trigger_match),
        personas=list(survey.personas),
        channel=survey.channel,
        delay_minutes=survey.delay_minutes,
        active_from=survey.active_from,
        active_until=survey.active_until,
        enabled=False,
    )
