"""Demo: discovery records (issue 13) — a design-partner program on the next launch with weekly check-ins (one
partner unheard for weeks, so the launch page flags them), win/loss records, JTBD interviews in existing themes; then
the feedback maturity of every item (the loader bulk-creates items unstamped: this is ``manage.py stamp_maturity``).

``load(stdout)`` runs after ``load_demo``'s customers, usage, themes and launches. Everything goes through
``insights.discovery`` (the admin's door), and the feedback it makes is marked as demo data (``demo.safety``).
Idempotent: the program by name, check-ins by partner and week, records by CRM deal id, interviews by interviewee
and day; a second run adds nothing.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from customers.models import Customer
from demo.safety import PAYLOAD_MARK
from feedback.maturity import STAMP_FIELDS, stamp_items
from feedback.models import FeedbackItem
from insights import discovery
from insights.choices import DealOutcome
from insights.models import DesignPartnerProgram, JtbdInterview, WinLossRecord
from launches.choices import LaunchStatus
from launches.models import Launch
from themes.models import Theme

MARK = "discovery"
PROGRAM = "Agents GA design partners"
CHECK_IN_NOTES = [
    "Tool calls fail silently when a function returns more than 1 MB; we only saw it in our own logs.",
    "The new tracing view saved us a day this week. We still need to replay one failed run with the same seed.",
    "Parallel tool calls work. Our compliance team asks where the intermediate steps are stored, and for how long.",
    "We want to cap spend per agent run; one runaway loop cost us 400 EUR on Tuesday.",
]
WIN_LOSS = [
    ("SF-0061", DealOutcome.LOST, "OpenAI", "Procurement needed EU data residency for fine-tuned models by Q1."),
    ("SF-0062", DealOutcome.WON, "Anthropic", "Open weights for on-prem plus a lower price per token tipped it."),
    ("SF-0063", DealOutcome.CHURNED, "", "Usage moved to an in-house model after their platform team grew."),
    ("SF-0064", DealOutcome.LOST, "Google", "Their batch API was half the price and our SLA lacked a latency bound."),
]
INTERVIEWS = [
    (
        "Head of ML platform",
        "When our nightly evaluation stopped finishing before the morning stand-up.",
        "A spreadsheet of prompts, a cron job and someone reading diffs by hand.",
        "Every model change is evaluated on 10,000 prompts and we see regressions before lunch.",
    ),
    (
        "Staff engineer, support automation",
        "A customer saw another customer's ticket summary in a test; we froze the rollout.",
        "Keyword rules in Zendesk, with an analyst checking a sample every week.",
        "We can prove to our auditors which data each answer used, per tenant.",
    ),
    (
        "Data science lead",
        "Fine-tuning on our contracts took three weeks of back and forth about formats.",
        "We paid a consultancy to clean the data and ran open-source scripts.",
        "Upload our documents on Monday and have a tuned model we trust by Friday.",
    ),
]


def load(stdout) -> dict[str, int]:
    """Add the program, check-ins, win/loss records and interviews, then stamp every item's maturity."""
    with transaction.atomic():
        made = _program() + _win_loss() + _interviews()
        marked = _mark(made)
    stamped = _stamp_all()
    counts = {"discovery feedback": marked, "items stamped": stamped}
    stdout.write(
        f"Discovery: {marked} feedback items from check-ins, win/loss records and interviews; "
        f"maturity stamped on {stamped:,} items"
    )
    return counts


def _accounts(count: int) -> list[Customer]:
    return list(Customer.objects.exclude(customer_since=None).order_by("-arr", "id")[:count])


def _program() -> list[int]:
    launch = Launch.objects.exclude(status=LaunchStatus.SHIPPED).order_by("target_date", "id").first()
    if launch is None:
        return []
    today = timezone.localdate()
    program, _ = DesignPartnerProgram.objects.get_or_create(
        name=PROGRAM,
        defaults={
            "launch": launch,
            "goal": "Agents that run unattended in production: tracing, spend caps, replay.",
            "starts_on": today - timedelta(weeks=6),
        },
    )
    for customer in _accounts(6):
        if not program.partners.filter(customer=customer).exists():
            discovery.add_partner(program=program, customer=customer, joined_on=program.starts_on)
    made = []
    monday = discovery.monday_of(today)
    for n, partner in enumerate(program.partners.order_by("customer__name")[:4]):
        for weeks_ago in range(3):
            notes = CHECK_IN_NOTES[(n + weeks_ago) % len(CHECK_IN_NOTES)]
            week = monday - timedelta(weeks=weeks_ago + (3 if n == 3 else 0))  # the fourth partner: unheard lately
            made.append(discovery.record_check_in(partner=partner, week=week, notes=notes).feedback_id)
    return made


def _win_loss() -> list[int]:
    accounts = _accounts(10)[6:]
    made = []
    for n, (deal_id, outcome, competitor, reasons) in enumerate(WIN_LOSS):
        record = WinLossRecord.objects.filter(crm_deal_id=deal_id).first() or WinLossRecord(crm_deal_id=deal_id)
        customer = accounts[n] if n < len(accounts) and outcome != DealOutcome.LOST else None
        record.deal = f"{customer.name if customer else 'Prospect'} {'renewal' if customer else 'new business'}"
        record.customer, record.prospect = customer, "" if customer else f"Prospect {deal_id}"
        record.outcome, record.competitor, record.reasons = outcome, competitor, reasons
        record.closed_on = date.today() - timedelta(days=20 * (n + 1))
        made.append(discovery.save_win_loss(record=record).feedback_id)
    return made


def _interviews() -> list[int]:
    themes = list(Theme.objects.order_by("-arr_impacted", "id")[: len(INTERVIEWS)])
    accounts = _accounts(13)[10:]
    made = []
    for n, (who, first, before, success) in enumerate(INTERVIEWS):
        held_on = date.today() - timedelta(days=7 * (n + 1))
        interview = JtbdInterview.objects.filter(interviewee=who, held_on=held_on).first() or JtbdInterview(
            interviewee=who, held_on=held_on
        )
        interview.customer = accounts[n] if n < len(accounts) else None
        interview.theme = themes[n] if n < len(themes) else None
        interview.first_realized, interview.before, interview.success = first, before, success
        made.append(discovery.save_interview(interview=interview).feedback_id)
    return made


def _mark(ids: list[int]) -> int:
    """Mark the feedback made here as demo data (``demo.safety``), so ``load_demo --reset`` may clear it."""
    items = list(FeedbackItem.objects.filter(pk__in=[pk for pk in ids if pk]).only("raw_payload"))
    for item in items:
        item.raw_payload = {**item.raw_payload, PAYLOAD_MARK: MARK}
    FeedbackItem.objects.bulk_update(items, ["raw_payload"])
    return len(items)


def _stamp_all(chunk: int = 1000) -> int:
    """Stamp the maturity of every item whose stamp is missing or stale, in id order (what the backfill does)."""
    stamped, last_id = 0, 0
    while True:
        batch = list(
            FeedbackItem.objects.filter(pk__gt=last_id)
            .order_by("pk")
            .only("pk", "received_at", "customer_id", "feature", *STAMP_FIELDS)[:chunk]
        )
        if not batch:
            return stamped
        stamped += stamp_items(batch)
        last_id = batch[-1].pk
