"""Demo journey surveys (issue 11, part 1), on top of ``load_demo``'s accounts, through the services:

- product events of the last six days (value delivered, report sent, campaign ended, support contact closed) from
  contacts of the demo accounts in three persona segments, recorded through the events intake
  (``insights.events.record_events``) and turned into invitations by the trigger (``journeys.invite_for_events``,
  what the ``product_events.recorded`` handler does);
- the minute task run day by day over that week (``journeys.send_due``): most are sent, some contacts asked twice
  within the cooldown are skipped;
- about half the people answer through ``journeys.validate_answers`` / ``journeys.submit`` (a few leave free text,
  which becomes feedback queued for triage), some only open the page. Scores lean by persona, so the figures per
  segment differ.

``load_journeys`` is idempotent: its events have fixed ids (a second run finds them duplicates and adds nothing).
"""

from __future__ import annotations

import io
import random
from datetime import timedelta

from django.utils import timezone

from customers.models import Customer
from demo.safety import PAYLOAD_MARK
from insights import events, journeys
from insights.choices import InvitationStatus
from insights.models import JourneySurvey, SurveyInvitation

SEED = 20_241_111
EVENTS_PER_SURVEY = 80
DAYS = 6
PERSONAS = {  # persona → (share answering, NPS centre, CSAT centre)
    "agency": (0.6, 8.6, 4.3),
    "solo_podcaster": (0.45, 7.2, 3.7),
    "network": (0.35, 5.8, 3.1),
}
FIRST_NAMES = ["ana", "ben", "chloe", "dev", "eli", "fatima", "gus", "hana", "ivan", "jo", "kai", "lena", "mo", "nina"]
COMMENTS = {
    "value_delivered": [
        "Setup was fine but connecting the podcast feed took a support ticket.",
        "Took me an afternoon to understand which fields the report needs.",
        "Really quick, the sample report helped a lot.",
    ],
    "report_sent": [
        "Download numbers in the report did not match our hosting dashboard.",
        "The sponsor asked why the episode list was missing two episodes.",
        "Would love a way to edit the summary before sending.",
    ],
    "campaign_ended": [
        "The sponsor renewed because the attribution numbers were clear.",
        "Hard to show the sponsor what the campaign did for them beyond downloads.",
    ],
    "support_contact_closed": [
        "The fix worked, but it took three e-mails to get there.",
        "Fast and friendly, thank you.",
        "I had to explain the problem twice to two different people.",
    ],
}
EVENT_PREFIX = "demo-journey-"
MARK = "journeys"  # the demo mark's value on the feedback the free text becomes (demo.safety)


def load_journeys(*, stdout=None) -> dict[str, int]:
    """Invitations, sends, skips and answers for seed 004's default surveys; what was made, by name."""
    stdout = stdout or io.StringIO()
    rng = random.Random(SEED)
    now = timezone.now()
    surveys = list(JourneySurvey.objects.filter(enabled=True))
    customers = list(Customer.objects.order_by("pk")[:200])
    if not surveys or not customers:
        stdout.write("Journey surveys: no enabled survey or no account; nothing made.\n")
        return {"events": 0, "invitations": 0, "sent": 0, "skipped": 0, "answered": 0}
    items = _events(rng, now, surveys, customers)
    results = events.record_events(items=items)
    created = [result.id for result in results if result.status == events.CREATED]
    invited = journeys.invite_for_events(event_ids=created, now=now)
    sent = skipped = 0
    for days_ago in range(DAYS, -1, -1):  # the minute task, as it would have run over the week
        outcome = journeys.send_due(
            now=now - timedelta(days=days_ago), limit=10_000, fallback_base=journeys.LOCAL_BASE_URL
        )
        sent, skipped = sent + outcome.sent, skipped + outcome.skipped
    answered = _answers(rng, now, event_ids=created) if created else 0
    made = {"events": len(created), "invitations": invited, "sent": sent, "skipped": skipped, "answered": answered}
    stdout.write(
        f"Journey surveys: {made['events']:,} product events, {invited:,} invitations, {sent:,} sent, "
        f"{skipped:,} skipped, {answered:,} answered.\n"
    )
    return made


def _events(rng: random.Random, now, surveys: list[JourneySurvey], customers: list[Customer]) -> list[dict]:
    """``EVENTS_PER_SURVEY`` trigger events per survey; contacts reused across surveys so the cooldown shows."""
    contacts = []
    for customer in customers:
        domain = customer.domain or f"{customer.pk}.customers.example"
        for first in rng.sample(FIRST_NAMES, 4):
            contacts.append((customer, f"{first}@{domain}", rng.choice(list(PERSONAS))))
    items, n = [], 0
    for survey in sorted(surveys, key=lambda s: s.key):
        for _ in range(EVENTS_PER_SURVEY):
            customer, contact, persona = rng.choice(contacts)
            n += 1
            occurred = now - timedelta(days=DAYS, hours=1) + timedelta(minutes=rng.randrange(DAYS * 24 * 60))
            items.append(
                {
                    "event_id": f"{EVENT_PREFIX}{n}",
                    "name": survey.trigger_event,
                    "customer": customer.pk,
                    "contact": contact,
                    "persona": persona,
                    "occurred_at": occurred.isoformat(),
                    "properties": {"demo": True},
                }
            )
    return items


def _answers(rng: random.Random, now, *, event_ids: list[int]) -> int:
    """Some of the sent invitations answered (scores leaning by persona), some only opened."""
    answered = 0
    sent = SurveyInvitation.objects.filter(event_id__in=event_ids, status=InvitationStatus.SENT).select_related(
        "survey", "customer"
    )
    for invitation in sent.order_by("pk"):
        share, nps_centre, csat_centre = PERSONAS.get(invitation.persona, (0.4, 7.0, 3.5))
        draw = rng.random()
        if draw >= share:
            if draw < share + 0.15:
                journeys.mark_opened(invitation, now=invitation.sent_at + timedelta(hours=rng.randint(1, 20)))
            continue
        data = {}
        for question in invitation.survey.questions:
            kind = question["kind"]
            if kind == journeys.NPS:
                data[question["key"]] = min(10, max(0, round(rng.gauss(nps_centre, 2.0))))
            elif kind == journeys.CSAT:
                data[question["key"]] = min(5, max(1, round(rng.gauss(csat_centre, 1.0))))
            elif kind == journeys.CHOICE and rng.random() < 0.8:
                data[question["key"]] = rng.choice(question["choices"])
            elif kind == journeys.TEXT and rng.random() < 0.3:
                data[question["key"]] = rng.choice(COMMENTS.get(invitation.survey.trigger_event, ["Thanks."]))
        answers, errors = journeys.validate_answers(invitation.survey.questions, data)
        if errors:
            continue
        at = min(now, invitation.sent_at + timedelta(hours=rng.randint(1, 30)))
        journeys.mark_opened(invitation, now=at - timedelta(minutes=3))
        submission = journeys.submit(invitation=invitation, answers=answers, now=at)
        if submission.feedback_id:  # the free text's feedback item carries the demo mark (load_demo --reset)
            item = submission.feedback
            item.raw_payload = {**item.raw_payload, PAYLOAD_MARK: MARK}
            item.save(update_fields=["raw_payload"])
        answered += 1
    return answered
