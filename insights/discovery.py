"""Discovery records (issue 13; seed 001 "Product Discovery Tools & Processes"): design-partner programs and their
weekly check-ins, win/loss records, JTBD interviews. What people said in them becomes feedback, so it is triaged,
searched, themed and counted with everything else.

- **Every record's words go in through ingestion** (``integrations.ingest.ingest_items``), as every other door's:
  validated, stored idempotently on ``(source, source_id)`` with a deterministic id (``checkin:<id>``,
  ``winloss:<id>``, ``interview:<id>``), maturity stamped, queued for triage after the commit (``PendingTriage``).
  Editing a record re-sends it: the same item is updated (changed words go back to triage), never a second one.
- **What the record already knows is the person's** (``FeedbackItem.human_fields``; triage never overwrites it): a
  win/loss item's competitor and churn flag (lost or churned: a churn signal; won: not one, whatever the words say),
  an interview's job to be done (its "what would success look like?" answer). An interview's item is linked to the
  theme it informs (theme matching only ever themes unthemed items, so the link stays).
- **Design partners** (seed 001: "5-8 customers, not too many"): a program may be saved with fewer than
  ``PARTNERS_MIN`` while it is being set up, and is flagged "setting up" until it has them; a ninth partner is
  refused (``check_partner_count``), by the admin's inline and by ``add_partner``. Check-ins are weekly: ``week`` is
  the Monday of the week (any day given is moved to its Monday), one per partner per week.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as day_start

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from customers.models import Customer
from feedback import maturity
from feedback import services as feedback_services
from feedback.choices import Source
from feedback.models import FeedbackItem
from insights.choices import DealOutcome
from insights.models import (
    PARTNERS_MAX,
    PARTNERS_MIN,
    DesignPartner,
    DesignPartnerProgram,
    JtbdInterview,
    PartnerCheckIn,
    WinLossRecord,
)
from integrations import ingest

CHURN_OUTCOMES = (DealOutcome.LOST, DealOutcome.CHURNED)
CHECK_IN_OVERDUE_DAYS = 7  # weekly check-ins, not monthly (seed 001): a partner unheard for over a week is flagged
INTERVIEW_QUESTIONS = (
    ("first_realized", "When did you first realize you needed this?"),
    ("before", "What were you doing before?"),
    ("success", "What would success look like?"),
)


def monday_of(day: date) -> date:
    """The Monday of ``day``'s week (check-ins are weekly)."""
    return day - timedelta(days=day.weekday())


def day_received(day: date) -> datetime:
    """The start of ``day`` in the hub's time zone: when a record dated by day "was said"."""
    return timezone.make_aware(datetime.combine(day, day_start.min))


# --- design-partner programs --------------------------------------------------------------------------------------


def check_partner_count(count: int) -> None:
    """Refuse a program of more than ``PARTNERS_MAX`` partners (fewer than ``PARTNERS_MIN`` is allowed, flagged)."""
    if count > PARTNERS_MAX:
        raise ValidationError(
            f"A design-partner program has {PARTNERS_MIN}–{PARTNERS_MAX} accounts (seed 001: not too many); "
            f"this one would have {count}. Remove {count - PARTNERS_MAX} or start a second program.",
            code="too_many_partners",
        )


@dataclass(frozen=True)
class ProgramSize:
    """How a program's partner count reads against the 5–8 rule."""

    count: int

    @property
    def setting_up(self) -> bool:
        return self.count < PARTNERS_MIN

    @property
    def text(self) -> str:
        if self.setting_up:
            return (
                f"{self.count} of {PARTNERS_MIN}–{PARTNERS_MAX} partners: setting up, add {PARTNERS_MIN - self.count}"
            )
        return f"{self.count} partners"


def add_partner(
    *, program: DesignPartnerProgram, customer: Customer, joined_on: date, contact_email: str = ""
) -> DesignPartner:
    """Add ``customer`` to ``program``; refused past ``PARTNERS_MAX`` or when it is a partner already."""
    with transaction.atomic():
        DesignPartnerProgram.objects.select_for_update().filter(pk=program.pk).first()  # one adder at a time
        if program.partners.filter(customer=customer).exists():
            raise ValidationError(f"{customer} is already a partner of {program}.", code="already_partner")
        check_partner_count(program.partners.count() + 1)
        return DesignPartner.objects.create(
            program=program, customer=customer, joined_on=joined_on, contact_email=contact_email
        )


@transaction.atomic
def record_check_in(*, partner: DesignPartner, week: date, notes: str, user=None) -> PartnerCheckIn:
    """Record (or correct) ``partner``'s check-in of ``week`` (moved to its Monday); its notes become a feedback item
    (source design_partner, ``checkin:<id>``) queued for triage. One per partner per week: a second one for the same
    week updates the first."""
    if not notes.strip():
        raise ValidationError("Write what the partner said: the notes become their feedback.", code="no_notes")
    week = monday_of(week)
    if week > monday_of(timezone.localdate()):
        raise ValidationError(f"The week of {week:%d %b %Y} has not started: record a check-in once it is held.")
    check_in, created = PartnerCheckIn.objects.get_or_create(
        partner=partner, week=week, defaults={"notes": notes, "created_by": user}
    )
    if not created and check_in.notes != notes:
        check_in.notes = notes
        check_in.save(update_fields=["notes"])
    return check_in_to_feedback(check_in=check_in)


def check_in_to_feedback(*, check_in: PartnerCheckIn) -> PartnerCheckIn:
    """Send ``check_in``'s notes to ingestion and link the item; run inside the caller's transaction."""
    partner = check_in.partner
    item = {
        "source": Source.DESIGN_PARTNER.value,
        "source_id": f"checkin:{check_in.pk}",
        "received_at": day_received(check_in.week),
        "verbatim": check_in.notes,
        "tags": ["design-partner"],
        "raw_payload": {
            "check_in": {"program": partner.program.name, "program_id": partner.program_id, "week": str(check_in.week)}
        },
        **customer_keys(partner.customer),
    }
    if partner.contact_email:
        item["reporter_email"] = partner.contact_email
    check_in.feedback_id = _ingest_one(item, customer=partner.customer)
    PartnerCheckIn.objects.filter(pk=check_in.pk).update(feedback_id=check_in.feedback_id)
    return check_in


def partners_with_last_check_in(*, programs) -> dict[int, list[DesignPartner]]:
    """Each program's partners (customer loaded) with ``last_check_in`` (the week, or None); one query."""
    partners = (
        DesignPartner.objects.filter(program__in=programs)
        .select_related("customer")
        .annotate(last_check_in=Max("check_ins__week"))
        .order_by("program", "customer__name")
    )
    by_program: dict[int, list[DesignPartner]] = {}
    for partner in partners:
        by_program.setdefault(partner.program_id, []).append(partner)
    return by_program


def check_in_overdue(last_check_in: date | None, *, today: date | None = None) -> bool:
    """True when a partner has had no check-in this week or last (weekly, not monthly)."""
    today = today or timezone.localdate()
    return last_check_in is None or (monday_of(today) - last_check_in).days > CHECK_IN_OVERDUE_DAYS


# --- win/loss records -----------------------------------------------------------------------------------------------


@transaction.atomic
def save_win_loss(*, record: WinLossRecord) -> WinLossRecord:
    """Save ``record`` and send its reasons to ingestion (``winloss:<id>``): an item flagged with the competitor and,
    for a lost deal or a churned account, as a churn signal, both the person's (triage keeps them)."""
    if not record.reasons.strip():
        raise ValidationError("Write what tipped the decision: the reasons become feedback.", code="no_reasons")
    record.save()
    item = {
        "source": Source.WIN_LOSS.value,
        "source_id": f"winloss:{record.pk}",
        "received_at": day_received(record.closed_on),
        "verbatim": record.reasons,
        "tags": ["win-loss", record.outcome],
        "raw_payload": {
            "win_loss": {
                "deal": record.deal,
                "crm_deal_id": record.crm_deal_id,
                "outcome": record.outcome,
                "competitor": record.competitor,
                "prospect": record.prospect,
                "amount": str(record.amount) if record.amount is not None else None,
            }
        },
        **(customer_keys(record.customer) if record.customer else {}),
    }
    record.feedback_id = _ingest_one(item, customer=record.customer)
    WinLossRecord.objects.filter(pk=record.pk).update(feedback_id=record.feedback_id)
    flags = {"churn_signal": record.outcome in CHURN_OUTCOMES}
    if record.competitor.strip():
        flags["competitors"] = [record.competitor.strip()[:50]]
    _set_as_persons(record.feedback_id, flags)
    return record


# --- JTBD interviews ------------------------------------------------------------------------------------------------


def interview_text(interview: JtbdInterview) -> str:
    """The interview as one verbatim: each of seed 001's questions answered, then the notes."""
    parts = [
        f"{question}\n{getattr(interview, name).strip()}"
        for name, question in INTERVIEW_QUESTIONS
        if getattr(interview, name).strip()
    ]
    if interview.notes.strip():
        parts.append(f"Notes\n{interview.notes.strip()}")
    return "\n\n".join(parts)


@transaction.atomic
def save_interview(*, interview: JtbdInterview) -> JtbdInterview:
    """Save ``interview`` and send its answers to ingestion (``interview:<id>``): one item whose job to be done is
    the success answer (the person's), linked to exactly the interview's theme."""
    text = interview_text(interview)
    if not text:
        raise ValidationError("Answer at least one of the three questions, or write notes.", code="no_answers")
    interview.save()
    item = {
        "source": Source.INTERVIEW.value,
        "source_id": f"interview:{interview.pk}",
        "received_at": day_received(interview.held_on),
        "verbatim": text,
        "tags": ["jtbd-interview"],
        "raw_payload": {"interview": {"interviewee": interview.interviewee, "held_on": str(interview.held_on)}},
        **(customer_keys(interview.customer) if interview.customer else {}),
    }
    interview.feedback_id = _ingest_one(item, customer=interview.customer)
    JtbdInterview.objects.filter(pk=interview.pk).update(feedback_id=interview.feedback_id)
    if interview.success.strip():
        _set_as_persons(interview.feedback_id, {"jtbd": interview.success.strip()})
    feedback_services.set_themes(
        item=FeedbackItem.objects.get(pk=interview.feedback_id), themes=[interview.theme] if interview.theme else []
    )
    return interview


# --- shared -----------------------------------------------------------------------------------------------------


def customer_keys(customer: Customer) -> dict:
    """How an ingest item names ``customer``: its CRM id, else its domain (none: linked after, ``_ingest_one``)."""
    if customer.crm_id:
        return {"customer_crm_id": customer.crm_id}
    if customer.domain:
        return {"customer_domain": customer.domain}
    return {}


def _ingest_one(item: dict, *, customer: Customer | None) -> int:
    """Ingest one item of a discovery record; its id. A customer the item could not name (or that ingestion kept
    otherwise) is assigned, and the maturity stamped for them."""
    (outcome,) = ingest.ingest_items(items=[item], received_via="discovery")
    if outcome.status == ingest.REJECTED:
        reason = "; ".join(f"{name}: {' '.join(messages)}" for name, messages in outcome.errors.items())
        raise ValidationError(f"Not stored as feedback ({reason}).", code="rejected")
    if customer is not None and outcome.customer != customer.pk:
        stored = FeedbackItem.objects.get(pk=outcome.id)
        feedback_services.assign_customer(item=stored, customer=customer)
        stamp = maturity.stamp(received_at=stored.received_at, customer=customer, feature=stored.feature)
        FeedbackItem.objects.filter(pk=stored.pk).update(**stamp)
    return outcome.id


def _set_as_persons(item_id: int, values: dict) -> None:
    """Write ``values`` on the item as a person's (added to ``human_fields``: triage leaves them alone)."""
    item = FeedbackItem.objects.select_for_update().only("human_fields").get(pk=item_id)
    FeedbackItem.objects.filter(pk=item_id).update(
        **values, human_fields=sorted({*item.human_fields, *values}), updated_at=timezone.now()
    )
