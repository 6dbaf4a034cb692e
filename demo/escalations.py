"""Demo escalations: the hourly check run once on the demo data, after a few NPS answers, so the escalation list opens
on realistic cases (usage drops and silent accounts from the demo's usage, negative feedback from large accounts,
enterprise churn signals, themes at critical mass, detractors), one acknowledged and one resolved with a note.

``load(stdout)`` is idempotent: answers are stored once by their source id, and the check never opens a condition
twice. It goes through the services (``insights.escalations.check_all``, ``insights.escalation_services``).
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from customers.choices import Lifecycle
from customers.models import Customer
from insights import escalation_services, escalations
from insights.choices import EscalationStatus
from insights.models import Escalation, SurveyResponse

SOURCE = "demo"
# (score, comment, days ago): three detractors, two passives, three promoters; given to the largest owned accounts.
ANSWERS = [
    (3, "Support takes days to answer and the batch API failed twice during our quarter close.", 1),
    (5, "Latency got worse since the last release; our agents time out.", 2),
    (6, "Good models, but SSO setup for contractors is still a manual process.", 3),
    (7, "", 2),
    (8, "Works well; the docs could use more examples.", 4),
    (9, "", 1),
    (10, "The fine-tuning API saved us weeks.", 5),
    (9, "Fast answers from our CSM.", 6),
]


def load(stdout) -> None:
    """Add the NPS answers, run the check, and show one escalation acknowledged and one resolved."""
    now = timezone.now()
    with transaction.atomic():
        accounts = list(
            Customer.objects.filter(account_owner__isnull=False, lifecycle_stage=Lifecycle.ACTIVE)
            .select_related("account_owner")
            .order_by("-arr", "id")[: len(ANSWERS)]
        )
        for customer, (score, comment, days_ago) in zip(accounts, ANSWERS, strict=False):
            SurveyResponse.objects.get_or_create(
                source=SOURCE,
                external_id=f"demo-nps-{customer.pk}",
                defaults={
                    "kind": "nps",
                    "score": score,
                    "comment": comment,
                    "customer": customer,
                    "contact_email": f"admin@{customer.domain}" if customer.domain else "",
                    "survey": "Quarterly NPS",
                    "responded_at": now - timedelta(days=days_ago, hours=3),
                },
            )
        report = escalations.check_all(now=now)
        shown = set(Escalation.objects.exclude(status=EscalationStatus.OPEN).values_list("status", flat=True))
        open_ = Escalation.objects.filter(status=EscalationStatus.OPEN).select_related("owner").order_by("id")
        acknowledged = open_.filter(rule__metric="nps_detractor", owner__isnull=False).first()
        if acknowledged is not None and EscalationStatus.ACKNOWLEDGED not in shown:
            escalation_services.acknowledge_escalations(escalation_ids=[acknowledged.pk], user=acknowledged.owner)
        resolved = open_.filter(rule__metric="inactivity", owner__isnull=False).first()
        if resolved is not None and EscalationStatus.RESOLVED not in shown:
            escalation_services.resolve_escalations(
                escalation_ids=[resolved.pk],
                user=resolved.owner,
                notes="Called the account: their team paused the rollout for a data-migration freeze; "
                "usage resumes next month. Check-in booked.",
            )
    opened = ", ".join(f"{result.opened} {result.name.lower()}" for result in report.rules if result.opened)
    stdout.write(f"Escalations: {report.opened} opened by the check ({opened or 'none'})")
