"""Demo: outbound automations — seed 001's "Bugs auto-create Linear issues" and "High-priority auto-creates Linear
ticket" as rules, in dry run (a demo has no tracker to write to), evaluated over the demo's triaged feedback so each
rule shows what it *would have opened*; and "feedback addressed" for the CRM of every customer told about a shipped
theme, waiting for the CSV export (``manage.py export_crm_addressed --out FILE``) as a CRM without an API does.

``load(stdout)`` runs after the feedback, themes and launches of ``load_demo`` (and their close-the-loop updates). It
creates no feedback item, only rules and outbox rows, all through ``integrations.outbound``. Idempotent: rules are
found by name and outbox rows are keyed (``dry:<rule>:<item>``, ``crm:<theme>:<customer>``); a second run adds
nothing.
"""

from __future__ import annotations

from feedback.choices import Category, Priority
from feedback.models import FeedbackItem
from integrations import outbound
from integrations.choices import OutboundKind
from integrations.models import OutboundRule
from launches.models import CustomerUpdate

RULES = [  # seed 001 "Automation Opportunities"; position: first match wins
    {
        "name": "Critical bugs → GitHub (platform team)",
        "kind": OutboundKind.GITHUB_ISSUE,
        "target": "acme/platform",
        "categories": [Category.BUG],
        "priorities": [Priority.CRITICAL],
        "position": 1,
    },
    {
        "name": "Bugs auto-create Linear issues",
        "kind": OutboundKind.LINEAR_ISSUE,
        "target": "demo-team-eng",
        "categories": [Category.BUG],
        "position": 2,
    },
    {
        "name": "High-priority requests → Linear (product)",
        "kind": OutboundKind.LINEAR_ISSUE,
        "target": "demo-team-product",
        "categories": [Category.FEATURE_REQUEST, Category.IMPROVEMENT],
        "priorities": [Priority.CRITICAL, Priority.HIGH],
        "position": 3,
    },
]
BATCH = 2000


def load(stdout) -> None:
    for fields in RULES:
        OutboundRule.objects.get_or_create(name=fields["name"], defaults={**fields, "enabled": False})
    ids = list(FeedbackItem.objects.filter(triaged_at__isnull=False).order_by("pk").values_list("pk", flat=True))
    dry_runs = 0
    for start in range(0, len(ids), BATCH):
        dry_runs += outbound.evaluate_items(item_ids=ids[start : start + BATCH]).dry_runs
    crm = 0
    for theme_id in CustomerUpdate.objects.order_by().values_list("theme_id", flat=True).distinct():
        updates = CustomerUpdate.objects.filter(theme_id=theme_id).values_list("pk", flat=True)
        crm += len(outbound.enqueue_crm_addressed(theme_id=theme_id, update_ids=list(updates)))
    stdout.write(
        f"  outbound: {len(RULES)} rules in dry run, {dry_runs:,} issues they would have opened, "
        f"{crm:,} CRM 'feedback addressed' updates waiting for the CSV export"
    )
