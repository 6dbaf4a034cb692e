"""Demo product events for the KPI dashboard's persona metrics (issue 11, part 3), on top of ``load_demo``'s accounts,
through the events intake (``insights.events.record_events``), then the figures computed once
(``insights.kpis.refresh_kpis``, what the 15-minute job does) so the page opens on numbers.

Over the last 13 weeks, 60 demo accounts in the journey demo's three persona segments (agency, solo_podcaster,
network) sign up, reach value (first report generated) after a time that differs by persona, start and complete
features (some twice: reuse), send reports (``accurate`` true or false), end campaigns (``renewed``), contact support
(``resolution_hours``) and hit errors, each persona with its own rates, and keep coming back week after week or not
(retention). ``load_kpi_events`` is idempotent: fixed event ids, so a second run adds nothing.
"""

from __future__ import annotations

import io
import random
from datetime import datetime, timedelta

from django.utils import timezone

from customers.models import Customer
from insights import events, kpis

SEED = 20_241_122
PREFIX = "demo-kpi-"
ACCOUNTS = 60
WEEKS = 13
FEATURES = ["report_builder", "sponsor_export", "episode_import", "audience_map", "campaign_planner"]
# persona → (minutes to value (low, high), weekly return, completion, accuracy, renewal, errors/week, support/week)
PERSONAS = {
    "agency": ((20, 90), 0.85, 0.8, 0.93, 0.75, 0.3, 0.2),
    "solo_podcaster": ((5, 40), 0.6, 0.65, 0.85, 0.55, 0.5, 0.35),
    "network": ((60, 300), 0.75, 0.55, 0.7, 0.45, 0.9, 0.6),
}


def load_kpi_events(*, stdout=None) -> dict[str, int]:
    """Record the demo's product events (once) and compute the KPI figures; returns what it did."""
    stdout = stdout or io.StringIO()
    rng = random.Random(SEED)
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    accounts = list(Customer.objects.order_by("-arr", "id").values_list("id", flat=True)[:ACCOUNTS])
    items = []
    for number, account in enumerate(accounts):
        persona = list(PERSONAS)[number % len(PERSONAS)]
        items += _account_events(rng, account=account, persona=persona, number=number, now=now)
    created = duplicates = 0
    for start in range(0, len(items), events.MAX_BATCH):
        for result in events.record_events(items=items[start : start + events.MAX_BATCH]):
            created += result.status == events.CREATED
            duplicates += result.status == events.DUPLICATE
    keys = kpis.refresh_kpis()
    stdout.write(
        f"KPI events: {created:,} product events recorded ({duplicates:,} already there) for {len(accounts)} accounts; "
        f"{len(keys)} KPI figures computed"
    )
    return {"created": created, "duplicates": duplicates, "figures": len(keys)}


def _account_events(rng: random.Random, *, account: int, persona: str, number: int, now: datetime) -> list[dict]:
    """One account's journey: sign-up, first value, then a week at a time while it keeps coming back."""
    (low, high), returns, completion, accuracy, renewal, errors, support = PERSONAS[persona]
    contact = f"user{number}@demo-kpi.example"
    started = now - timedelta(days=rng.randint(3, WEEKS * 7 - 1), hours=rng.randint(0, 23))
    made: list[tuple[str, datetime, dict]] = [("signed_up", started, {})]
    if rng.random() < 0.9:
        made.append(("value_delivered", started + timedelta(minutes=rng.randint(low, high)), {"value": "first_report"}))
    week, active = 0, True
    while active and started + timedelta(weeks=week) < now:
        base = started + timedelta(weeks=week, hours=rng.randint(1, 100))
        if base >= now:
            break
        feature = rng.choice(FEATURES)
        made.append(("feature_started", base, {"feature": feature}))
        if rng.random() < completion:
            made.append(("feature_completed", base + timedelta(minutes=rng.randint(2, 50)), {"feature": feature}))
            if rng.random() < 0.5:  # the same feature again a few days later: reuse
                again = base + timedelta(days=rng.randint(1, 3))
                made.append(("feature_completed", again, {"feature": feature}))
        made.append(("report_sent", base + timedelta(hours=2), {"accurate": rng.random() < accuracy}))
        if rng.random() < errors:
            made.append(("error", base + timedelta(minutes=5), {"code": rng.choice(["timeout", "feed_parse"])}))
        if rng.random() < support:
            hours = round(rng.uniform(0.5, 30 if persona == "network" else 12), 1)
            made.append(("support_contact_closed", base + timedelta(hours=5), {"resolution_hours": hours}))
        if week % 4 == 3:
            made.append(("campaign_ended", base + timedelta(hours=8), {"renewed": rng.random() < renewal}))
        week += 1
        active = rng.random() < returns
    return [
        {
            "event_id": f"{PREFIX}{account}-{index}",
            "name": name,
            "customer": account,
            "contact": contact,
            "persona": persona,
            "occurred_at": at.isoformat(),
            "properties": properties,
        }
        for index, (name, at, properties) in enumerate(made)
        if at <= now
    ]
