"""An account owner's weekly digest: their own accounts' rows of the week (``digest_facts.Week``, read once for the
whole book), plus what only an owner reads: their customers still to tell that something shipped, the themes their
accounts' feedback of the week is linked to (with the status of what they asked: seed 001's sales view), and the
shipped themes their customers asked for. Each is one grouped query for every owner at once, never one per owner.
"""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Count, F, Q, Window
from django.db.models.functions import RowNumber

from feedback.models import FeedbackItem
from feedbackhub.formatting import change_url
from launches.models import CustomerUpdate, CustomerUpdateStatus
from notifications.digest_facts import LIST, Period, Week, pick_verbatims, summarise_accounts, summarise_churn
from themes.choices import ThemeStatus
from themes.models import Theme


def read_owner_sections(period: Period) -> dict[str, dict[int, object]]:
    """Per section, per owner id: the figures only an owner's digest has."""
    items = FeedbackItem.objects.originals().filter(received_at__gte=period.since, received_at__lt=period.until)
    return {
        "updates": owner_updates(period),
        "themes_asked": themes_asked(items),
        "shipped_themes": owner_shipped_themes(period),
    }


def owners(week: Week, owner_sections: dict) -> set[int]:
    """Owners with anything to read this week: an owner whose accounts were silent gets no digest."""
    return week.owners() | {owner for rows in owner_sections.values() for owner in rows}


def owner_facts(week: Week, owner_sections: dict, owner_id: int) -> dict:
    """The facts of ``owner_id``'s digest: the week's sections cut to their accounts, and their own figures."""

    def own(rows: list[dict]) -> list[dict]:
        return [row for row in rows if row["_owner"] == owner_id]

    s, o = week.sections, owner_sections
    updates = o["updates"].get(owner_id, {"to_tell": [], "to_tell_total": 0, "overdue": 0, "told": 0})
    decisions = own(s["extra_decisions"])
    if updates["to_tell_total"]:
        decisions.insert(0, {"kind": "tell_customers", **updates})
    return {
        "decisions": decisions[:LIST],
        "themes_asked": o["themes_asked"].get(owner_id, []),
        "high_value": summarise_accounts(own(s["high_value"]), by_tier=True),
        "churn": summarise_churn(own(s["churn"])),
        "wins": {**summarise_accounts(own(s["wins"])), "expansions": own(s["expansions"])[:LIST]},
        "verbatims": pick_verbatims(own(s["verbatims"])),
        "shipped": {"told": updates["told"], "themes": o["shipped_themes"].get(owner_id, [])},
    }


def owner_updates(period: Period) -> dict[int, dict]:
    """Per account owner: their customers still to tell (the first few by due date, overdue first), how many in all,
    how many overdue, and how many they told this week. Two queries: the totals, and a window for the first few."""
    found: dict[int, dict] = {}
    totals = (
        CustomerUpdate.objects.filter(owner__isnull=False)
        .values("owner_id")
        .annotate(
            to_tell=Count("id", filter=Q(status=CustomerUpdateStatus.TO_TELL)),
            overdue=Count("id", filter=Q(status=CustomerUpdateStatus.TO_TELL, due_on__lte=period.end)),
            told=Count(
                "id",
                filter=Q(status=CustomerUpdateStatus.TOLD, told_at__gte=period.since, told_at__lt=period.until),
            ),
        )
        .order_by()
    )
    for row in totals:
        if row["to_tell"] or row["told"]:
            found[row["owner_id"]] = {
                "to_tell": [],
                "to_tell_total": row["to_tell"],
                "overdue": row["overdue"],
                "told": row["told"],
            }
    first = (
        CustomerUpdate.objects.filter(status=CustomerUpdateStatus.TO_TELL, owner__in=list(found))
        .annotate(rank=Window(RowNumber(), partition_by=[F("owner_id")], order_by=[F("due_on"), F("id")]))
        .filter(rank__lte=LIST)
        .values("id", "owner_id", "due_on", company=F("customer__name"), theme_name=F("theme__name"))
        .order_by("owner_id", "due_on", "id")
    )
    for row in first:
        found[row["owner_id"]]["to_tell"].append(
            {
                "customer": row["company"],
                "theme": row["theme_name"][:80],
                "due_on": row["due_on"].isoformat(),
                "overdue": row["due_on"] <= period.end,
                "url": change_url(CustomerUpdate, row["id"]),
            }
        )
    return found


def themes_asked(items) -> dict[int, list[dict]]:
    """Per account owner: the themes their accounts' feedback of the week is linked to, most accounts first."""
    found: dict[int, list[dict]] = defaultdict(list)
    rows = (
        items.filter(customer__account_owner__isnull=False, themes__isnull=False)
        .values("customer__account_owner_id", "themes__id", "themes__name", "themes__status")
        .annotate(items=Count("id"), accounts=Count("customer", distinct=True))
        .order_by("customer__account_owner_id", "-accounts", "-items", "themes__id")
    )
    for row in rows:
        entries = found[row["customer__account_owner_id"]]
        if len(entries) < LIST:
            entries.append(
                {
                    "name": row["themes__name"][:80],
                    "status": ThemeStatus(row["themes__status"]).label,
                    "items": row["items"],
                    "accounts": row["accounts"],
                    "url": change_url(Theme, row["themes__id"]),
                }
            )
    return dict(found)


def owner_shipped_themes(period: Period) -> dict[int, list[dict]]:
    """Per account owner: this week's shipped themes their customers asked for (from the customer updates)."""
    found: dict[int, list[dict]] = defaultdict(list)
    rows = (
        CustomerUpdate.objects.filter(
            owner__isnull=False, theme__shipped_at__gte=period.since, theme__shipped_at__lt=period.until
        )
        .values("owner_id", "theme_id", "theme__name")
        .annotate(customers=Count("customer", distinct=True))
        .order_by("owner_id", "-customers", "theme_id")
    )
    for row in rows:
        if len(found[row["owner_id"]]) < LIST:
            found[row["owner_id"]].append({"name": row["theme__name"][:80], "customers": row["customers"]})
    return dict(found)
