"""Builders for the journey survey tests: a survey, product events recorded through the intake, invitations sent."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

from django.utils import timezone

from feedbackhub import events as domain_events
from feedbackhub.models import DomainEvent
from insights import events, journeys
from insights.models import JourneySurvey, SurveyInvitation

_sequence = itertools.count(1)

QUESTIONS = [
    {"key": "recommend", "kind": "nps", "text": "How likely are you to recommend us?"},
    {"key": "ease", "kind": "csat", "text": "How easy was it?"},
    {"key": "solved", "kind": "choice", "text": "Is it solved?", "choices": ["Yes", "Partly", "No"]},
    {"key": "why", "kind": "text", "text": "What should we change?"},
]


def make_survey(**fields) -> JourneySurvey:
    n = next(_sequence)
    defaults = {
        "key": f"survey-{n}",
        "name": f"Survey {n}",
        "trigger_event": "report_sent",
        "questions": QUESTIONS,
        "delay_minutes": 60,
    }
    return journeys.create_survey(**{**defaults, **fields})


def event_item(customer, *, name: str = "report_sent", occurred_at: datetime | None = None, **fields) -> dict:
    """One product event of ``customer`` in the intake's format (a fresh event id unless given)."""
    return {
        "event_id": fields.pop("event_id", f"ev-{next(_sequence)}"),
        "name": name,
        "customer": customer.pk,
        "occurred_at": (occurred_at or timezone.now() - timedelta(minutes=5)).isoformat(),
        **fields,
    }


def record(items: list[dict], django_capture_on_commit_callbacks) -> list:
    """Record ``items`` through the intake and process the domain event it emits, as the worker does."""
    with django_capture_on_commit_callbacks():
        results = events.record_events(items=items)
    for event in DomainEvent.objects.filter(name=events.RECORDED, processed_at__isnull=True):
        domain_events.process(event.pk)
    return results


def sent_invitation(customer, survey=None, *, contact: str = "ana@acme.example", **event_fields) -> SurveyInvitation:
    """An invitation of ``customer``'s contact, triggered, due and sent (without the intake)."""
    from insights.models import ProductEvent

    survey = survey or make_survey()
    event = ProductEvent.objects.create(
        event_id=f"direct-{next(_sequence)}",
        name=survey.trigger_event,
        customer=customer,
        contact=contact,
        occurred_at=timezone.now() - timedelta(hours=2),
        **event_fields,
    )
    journeys.invite_for_events(event_ids=[event.pk])
    invitation = SurveyInvitation.objects.get(event=event, survey=survey)
    journeys.send_invitation(
        invitation_id=invitation.pk, cooldown=timedelta(0), base=journeys.base_url() or "http://testserver"
    )
    invitation.refresh_from_db()
    return invitation
