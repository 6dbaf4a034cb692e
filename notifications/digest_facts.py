"""The figures a weekly digest is written from (seed 001, "Weekly Digest"): one set-based pass over the week.

Each section is read once for the whole book, every row carrying its account's owner (``_owner``): the product digest
takes every row, an owner's digest the rows of their own accounts (``Week.for_owner``). Reads stay on indexes: the
week's feedback by ``received_at`` (``feedback_received_idx``), the themes by their stored rollups (``theme_arr_idx``),
the last 90 days counted per customer for coverage. Nothing reads the 1,000,000 items one by one.

The rules, one line each (the digest says what it selected, so a reader can check it):

- decisions: hypotheses told it is time to verify (``themes.verification_notice.TIME_TO_VERIFY``) and validated themes
  with no launch, most ARR first; customer updates past due; and what upper apps add (``register_decision_source``,
  e.g. the insights app's open escalations of high-ARR accounts). An owner's: their customers to tell.
- top themes: active (not shipped) themes by ARR impacted, from their rollups; movement against the previous product
  digest's stored figures (rank, ARR, customers) and from feedback dates (items and first-time customers this week).
  An owner's: the themes their accounts' feedback of the week is linked to.
- coverage gaps: per customer segment (``themes.segments`` dimensions, churned accounts left out: nobody to ask),
  seed 001's minimum data points for the segment's size (``themes.significance``) over the last 90 days, largest
  segment ARR first, then the segments of under 10 accounts (anecdotal whatever their items); per product, seed 001's
  dashboard minimum of 15.
- high value: this week's original items from accounts of ARR ≥ $100k (the priority formula's revenue band) or of the
  highest-weighted tiers (enterprise, strategic partner), by tier and by account.
- churn: this week's items with a churn signal, the churn-signal category or a competitor named; renewals within 90
  days marked.
- wins: this week's praise; expansion: accounts whose ARR rose, or that moved to Expansion, this week (their history).
- verbatims: per account its item of the week with the largest ARR × |sentiment| among 40–300 characters; the three
  largest of distinct accounts (the third of the other tone when the first two share one and the week has it).
- shipped: themes and launches shipped this week; customer updates told this week, still to tell, overdue.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.apps import apps
from django.db import connection
from django.db.models import Count, ExpressionWrapper, F, FloatField, Q
from django.db.models.functions import Abs, Length, Substr
from django.utils import timezone

from customers.choices import Lifecycle, Tier
from customers.models import Customer
from feedback.choices import Category, Product
from feedback.models import FeedbackItem
from feedback.priority import REVENUE_BANDS, TIER_WEIGHTS, short_money
from feedbackhub.formatting import change_url
from launches.models import CustomerUpdate, CustomerUpdateStatus, Launch
from themes.choices import ThemeStatus
from themes.models import Theme
from themes.segments import SEGMENT_DIMENSIONS
from themes.significance import SIGNIFICANCE_TABLE, significance
from themes.verification_notice import TIME_TO_VERIFY

LIST = 5  # rows kept per list in the facts; the renderer shows fewer when the words run out
COVERAGE_WINDOW_DAYS = 90  # the feedback a decision this week rests on
SMALLEST_SEGMENT = SIGNIFICANCE_TABLE[-1][0]  # seed 001: under 10 accounts a segment's feedback is anecdotal
PRODUCT_MINIMUM = 15  # seed 001, "Coverage Dashboard": red flag under 15 data points
HIGH_VALUE_ARR = REVENUE_BANDS[1][0]  # $100k: seed 001's Enterprise band, the priority formula's revenue weight 2
HIGH_VALUE_TIERS = [tier for tier, weight in TIER_WEIGHTS.items() if weight == max(TIER_WEIGHTS.values())]
RENEWAL_SOON_DAYS = 90
VERBATIM_CHARS = (40, 300)  # readable: a full sentence, not a page
TEXT_CHARS = 140  # a summary as the digest shows it
DECISION_CHARS = 200  # a decision an upper app adds

DecisionSource = Callable[["Period"], list[dict]]
_decision_sources: list[DecisionSource] = []


def register_decision_source(source: DecisionSource) -> None:
    """Let an app above notifications add decisions (``source(period)`` → dicts with ``text``, ``arr`` and optionally
    ``_owner``, ``url``); called from its ``AppConfig.ready``, once however often ``ready`` runs."""
    if source not in _decision_sources:
        _decision_sources.append(source)


@dataclass(frozen=True)
class Period:
    """The week a digest covers: ``start`` to ``end``, both days included, in the hub's time zone."""

    start: date
    end: date

    @property
    def since(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.start, time.min))

    @property
    def until(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.end + timedelta(days=1), time.min))


@dataclass
class Week:
    """Every section's rows for the whole book; ``product()`` cuts them into the product digest's facts, and
    ``notifications.digest_owner_facts`` into each owner's (rows carry their account's owner as ``_owner``)."""

    period: Period
    sections: dict = field(default_factory=dict)  # section → rows (with ``_owner``) or a product-only dict

    def owners(self) -> set[int]:
        """The owners whose accounts appear in this week's rows."""
        rows = (row for key in ("high_value", "churn", "wins", "verbatims", "expansions") for row in self.sections[key])
        return {row["_owner"] for row in rows} - {None}

    def product(self) -> dict:
        s = self.sections
        return {
            "decisions": s["decisions"][:LIST],
            "top_themes": s["top_themes"],
            "coverage": s["coverage"],
            "high_value": summarise_accounts(s["high_value"], by_tier=True),
            "churn": summarise_churn(s["churn"]),
            "wins": {**summarise_accounts(s["wins"]), "expansions": s["expansions"][:LIST]},
            "verbatims": pick_verbatims(s["verbatims"]),
            "shipped": s["shipped"],
        }


def read_week(period: Period, *, previous: dict | None = None, previous_end: date | None = None) -> Week:
    """Every figure of ``period``; ``previous``: the facts of the last product digest before it (which ended on
    ``previous_end``), for the themes' movement."""
    week = Week(period=period)
    items = FeedbackItem.objects.originals().filter(received_at__gte=period.since, received_at__lt=period.until)
    s = week.sections
    s["top_themes"] = top_themes(period, previous or {}, previous_end)
    s["extra_decisions"] = [
        {
            "kind": row.get("kind") or "other",
            "text": " ".join(str(row["text"]).split())[:DECISION_CHARS],
            "arr": float(row.get("arr") or 0),
            "url": row.get("url") or "",
            "_owner": row.get("_owner"),
        }
        for source in _decision_sources
        for row in source(period)
    ]
    s["decisions"] = decisions(period) + s["extra_decisions"]
    s["decisions"].sort(key=lambda row: -row.get("arr", 0))
    s["coverage"] = coverage(period)
    s["high_value"] = accounts(
        items.filter(Q(customer__arr__gte=HIGH_VALUE_ARR) | Q(customer__tier__in=HIGH_VALUE_TIERS))
    )
    s["churn"] = churn(items, period)
    s["wins"] = accounts(items.filter(category=Category.PRAISE))
    s["expansions"] = expansions(period)
    s["verbatims"] = verbatim_candidates(items)
    s["shipped"] = shipped(period)
    return week


# --- decisions and themes ----------------------------------------------------------------------------------------


def _owner_name(row: dict, prefix: str = "owner__") -> str:
    name = " ".join(filter(None, [row.get(f"{prefix}first_name"), row.get(f"{prefix}last_name")]))
    return name or row.get(f"{prefix}username") or ""


THEME_FIELDS = ("id", "name", "status", "feedback_count", "unique_customers", "arr_impacted", "arr_at_risk")
OWNER_FIELDS = ("owner__first_name", "owner__last_name", "owner__username")


def _theme_row(row: dict) -> dict:
    return {
        "id": row["id"],
        "name": row["name"][:80],
        "status": ThemeStatus(row["status"]).label,
        "items": row["feedback_count"],
        "customers": row["unique_customers"],
        "arr": float(row["arr_impacted"]),
        "arr_text": money(row["arr_impacted"]),
        "arr_at_risk": float(row["arr_at_risk"]),
        "owner": _owner_name(row),
        "url": change_url(Theme, row["id"]),
    }


def decisions(period: Period) -> list[dict]:
    """Hypotheses at critical mass (time to verify), validated themes with no launch, customer updates past due."""
    found = []
    for kind, themes in (
        ("verify", Theme.objects.filter(TIME_TO_VERIFY)),
        ("plan", Theme.objects.filter(status=ThemeStatus.VALIDATED, launches__isnull=True)),
    ):
        found += [
            {"kind": kind, **_theme_row(row)}
            for row in themes.by_arr_impact().values(*THEME_FIELDS, *OWNER_FIELDS)[:LIST]
        ]
    overdue = CustomerUpdate.objects.filter(status=CustomerUpdateStatus.TO_TELL, due_on__lte=period.end).aggregate(
        n=Count("id"), owners=Count("owner", distinct=True)
    )
    if overdue["n"]:
        found.append({"kind": "overdue_updates", "updates": overdue["n"], "owners": overdue["owners"], "arr": 0})
    return found


THEME_WEEK_SQL = """
WITH linked AS (
    SELECT link.theme_id, item.customer_id, item.received_at
    FROM "{link}" AS link JOIN "{item}" AS item ON item.id = link.feedbackitem_id
    WHERE link.theme_id = ANY(%(ids)s) AND item.duplicate_of_id IS NULL AND item.received_at < %(until)s
), firsts AS (
    SELECT theme_id, customer_id, min(received_at) AS first_at FROM linked
    WHERE customer_id IS NOT NULL GROUP BY theme_id, customer_id
)
SELECT theme.id,
       (SELECT count(*) FROM linked WHERE linked.theme_id = theme.id AND linked.received_at >= %(since)s),
       (SELECT count(*) FROM firsts WHERE firsts.theme_id = theme.id AND firsts.first_at >= %(since)s)
FROM unnest(%(ids)s::bigint[]) AS theme(id)
"""


def top_themes(period: Period, previous: dict, previous_end: date | None = None) -> list[dict]:
    """The active themes with the most ARR impacted, each with its movement since the previous digest."""
    rows = [
        _theme_row(row) for row in Theme.objects.active().by_arr_impact().values(*THEME_FIELDS, *OWNER_FIELDS)[:LIST]
    ]
    link, item = FeedbackItem.themes.through._meta.db_table, FeedbackItem._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            THEME_WEEK_SQL.format(link=link, item=item),
            {"ids": [row["id"] for row in rows], "since": period.since, "until": period.until},
        )
        week = {theme_id: (items, customers) for theme_id, items, customers in cursor.fetchall()}
    before = {row["id"]: (rank, row) for rank, row in enumerate(previous.get("top_themes", []), start=1)}
    since = "last week"
    if previous_end is not None and previous_end != period.end - timedelta(days=7):
        since = f"{previous_end:%d %b}".lstrip("0")
    for rank, row in enumerate(rows, start=1):
        row["rank"] = rank
        row["new_items"], row["new_customers"] = week.get(row["id"], (0, 0))
        if row["id"] in before:
            last_rank, last = before[row["id"]]
            row["previous"] = {
                "since": since,
                "rank": last_rank,
                "arr_change": row["arr"] - last["arr"],
                "arr_change_text": signed_money(row["arr"] - last["arr"]),
                "customers_change": row["customers"] - last["customers"],
            }
        else:
            row["previous"] = None
        row["new_in_list"] = bool(before) and row["previous"] is None  # new since the last digest (if there was one)
    return rows


def money(value) -> str:
    """$450k, $1.2M (the priority reason's ``short_money``), and $1.2B past a thousand millions."""
    value = float(value or 0)
    return f"${value / 1e9:.1f}B".replace(".0B", "B") if value >= 1e9 else short_money(value)


def signed_money(value: float) -> str:
    return ("+" if value >= 0 else "−") + money(abs(value))


# --- coverage ------------------------------------------------------------------------------------------------------


def _coverage_sql() -> str:
    fields = [field for field, _, _ in SEGMENT_DIMENSIONS]
    columns = [f'customer."{Customer._meta.get_field(name).column}"' for name in fields]
    return f"""
WITH recent AS (
    SELECT customer_id, count(*) AS items FROM "{FeedbackItem._meta.db_table}"
    WHERE received_at >= %(since)s AND received_at < %(until)s
      AND duplicate_of_id IS NULL AND customer_id IS NOT NULL
    GROUP BY customer_id
)
SELECT GROUPING({", ".join(columns)}), {", ".join(columns)}, count(*), coalesce(sum(recent.items), 0),
       coalesce(sum(customer.arr), 0)
FROM "{Customer._meta.db_table}" AS customer LEFT JOIN recent ON recent.customer_id = customer.id
WHERE customer.lifecycle_stage <> %(churned)s
GROUP BY GROUPING SETS ({", ".join(f"({column})" for column in columns)})
"""


def coverage(period: Period, *, limit: int = LIST) -> dict:
    """Segments and products under their minimum data points over the last 90 days (to the end of the week): the
    ``limit`` largest of each, and how many in all."""
    since = period.until - timedelta(days=COVERAGE_WINDOW_DAYS)
    labels = {field: (label, dict(choices.choices)) for field, label, choices in SEGMENT_DIMENSIONS}
    fields, last = [field for field, _, _ in SEGMENT_DIMENSIONS], len(SEGMENT_DIMENSIONS) - 1
    gaps = []
    with connection.cursor() as cursor:
        cursor.execute(_coverage_sql(), {"since": since, "until": period.until, "churned": Lifecycle.CHURNED})
        for grouping, *row in cursor.fetchall():
            values, (accounts, items, arr) = row[: len(fields)], row[len(fields) :]
            index = next(i for i in range(len(fields)) if not grouping & (1 << (last - i)))
            verdict = significance(segment_size=accounts, data_points=int(items))
            if not verdict.enough:
                dimension, names = labels[fields[index]]
                gaps.append(
                    {
                        "dimension": dimension,
                        "segment": names.get(values[index], values[index]),
                        "accounts": accounts,
                        "items": int(items),
                        "minimum": verdict.minimum,
                        "anecdotal": accounts < SMALLEST_SEGMENT,  # too few accounts to be a sample at all
                        "arr": float(arr),
                        "arr_text": money(arr),
                    }
                )
    per_product = dict(
        FeedbackItem.objects.originals()
        .filter(received_at__gte=since, received_at__lt=period.until)
        .values_list("product")
        .annotate(n=Count("id"))
        .order_by()
    )
    products = [
        {"product": label, "items": per_product.get(value, 0), "minimum": PRODUCT_MINIMUM}
        for value, label in Product.choices
        if per_product.get(value, 0) < PRODUCT_MINIMUM
    ]
    gaps.sort(key=lambda gap: (gap["anecdotal"], -gap["arr"], gap["items"]))  # samples too thin first, then anecdotes
    products.sort(key=lambda gap: gap["items"])
    return {
        "window_days": COVERAGE_WINDOW_DAYS,
        "segments": gaps[:limit],
        "segments_total": len(gaps),
        "products": products[:limit],
        "products_total": len(products),
    }


# --- the week's feedback -------------------------------------------------------------------------------------------


def _summary(row: dict) -> str:
    text = " ".join((row.get("summary") or row.get("text") or "").split())
    return text if len(text) <= TEXT_CHARS else text[: TEXT_CHARS - 1].rstrip() + "…"


ACCOUNT_FIELDS_BRIEF = {
    "tier": F("customer__tier"),
    "arr": F("customer__arr"),
    "_owner": F("customer__account_owner_id"),
}
ACCOUNT_FIELDS = {**ACCOUNT_FIELDS_BRIEF, "company": F("customer__name"), "text": Substr("verbatim", 1, TEXT_CHARS + 1)}


def accounts(items) -> list[dict]:
    """One row per account with feedback among ``items``: its item count and latest summary (DISTINCT ON account)."""
    counts = dict(items.exclude(customer=None).values_list("customer").annotate(n=Count("id")).order_by())
    latest = (
        items.filter(customer__in=list(counts))
        .order_by("customer_id", "-received_at", "-id")
        .distinct("customer_id")
        .values("id", "customer_id", "summary", **ACCOUNT_FIELDS)
    )
    return [
        {
            "customer": row["company"],
            "tier": Tier(row["tier"]).label.split(" (")[0] if row["tier"] in Tier.values else row["tier"],
            "arr": float(row["arr"]),
            "arr_text": money(row["arr"]),
            "items": counts[row["customer_id"]],
            "summary": _summary(row),
            "url": change_url(FeedbackItem, row["id"]),
            "_owner": row["_owner"],
        }
        for row in latest
    ]


def summarise_accounts(rows: list[dict], *, by_tier: bool = False) -> dict:
    """The accounts' totals (and per tier), and the accounts with the most ARR first."""
    ranked = sorted(rows, key=lambda row: (-row["arr"], row["customer"]))
    summary = {
        "items": sum(row["items"] for row in rows),
        "accounts": len(rows),
        "arr_text": money(sum(row["arr"] for row in rows)),
        "list": ranked[:LIST],
    }
    if by_tier:
        tiers: dict[str, list] = defaultdict(lambda: [0, 0, 0.0])
        for row in rows:
            tiers[row["tier"]][0] += row["items"]
            tiers[row["tier"]][1] += 1
            tiers[row["tier"]][2] += row["arr"]
        summary["by_tier"] = [
            {"tier": tier, "items": n, "accounts": a, "arr_text": money(arr)}
            for tier, (n, a, arr) in sorted(tiers.items(), key=lambda pair: -pair[1][2])
        ]
        summary["threshold_text"] = money(HIGH_VALUE_ARR)
    return summary


def churn(items, period: Period) -> list[dict]:
    """This week's churn signals, competitor mentions and renewal concerns, one row per account."""
    signals = items.filter(Q(churn_signal=True) | Q(category=Category.CHURN_SIGNAL) | ~Q(competitors=[]))
    rows = accounts(signals)
    named = defaultdict(set)
    renewals = dict(Customer.objects.filter(feedback_items__in=signals).values_list("name", "renewal_date"))
    for customer, competitors in signals.exclude(customer=None).values_list("customer__name", "competitors"):
        named[customer].update(competitors)
    for row in rows:
        row["competitors"] = sorted(named[row["customer"]])
        renewal = renewals.get(row["customer"])
        days = (renewal - period.end).days if renewal else None
        row["renewal_in_days"] = days if days is not None and 0 <= days <= RENEWAL_SOON_DAYS else None
    return rows


def summarise_churn(rows: list[dict]) -> dict:
    mentions = Counter(name for row in rows for name in row["competitors"])
    return {
        **summarise_accounts(rows),
        "competitors": [{"name": name, "accounts": n} for name, n in mentions.most_common(LIST)],
        "renewals_soon": sum(row["renewal_in_days"] is not None for row in rows),
    }


def expansions(period: Period) -> list[dict]:
    """Accounts whose ARR rose, or that moved to Expansion, this week: their state before the week's first change
    (the history row of that change holds the old values) against their state now."""
    history = apps.get_model("customers", "CustomerHistory")
    first_changes = (
        history.objects.filter(pgh_created_at__gte=period.since, pgh_created_at__lt=period.until)
        .order_by("pgh_obj_id", "pgh_created_at", "pgh_id")
        .distinct("pgh_obj_id")
        .values("pgh_obj_id", "arr", "lifecycle_stage")
    )
    before = {row["pgh_obj_id"]: row for row in first_changes}
    found = []
    for row in Customer.objects.filter(pk__in=list(before)).values(
        "id", "name", "arr", "lifecycle_stage", "account_owner_id"
    ):
        old = before[row["id"]]
        moved = row["lifecycle_stage"] == Lifecycle.EXPANSION and old["lifecycle_stage"] != Lifecycle.EXPANSION
        if row["arr"] > old["arr"] or moved:
            found.append(
                {
                    "customer": row["name"],
                    "arr_text": money(row["arr"]),
                    "arr_change_text": signed_money(float(row["arr"] - old["arr"])),
                    "moved_to_expansion": moved,
                    "arr": float(row["arr"]),
                    "_owner": row["account_owner_id"],
                }
            )
    return sorted(found, key=lambda row: -row["arr"])


def verbatim_candidates(items) -> list[dict]:
    """Per account, the item of the week with the largest ARR × |sentiment| and a readable length."""
    low, high = VERBATIM_CHARS
    rows = (
        items.exclude(customer=None)
        .filter(sentiment_score__isnull=False)
        .annotate(
            chars=Length("verbatim"),
            weight=ExpressionWrapper(F("customer__arr") * Abs("sentiment_score"), output_field=FloatField()),
        )
        .filter(chars__gte=low, chars__lte=high, weight__gt=0)
        .order_by("customer_id", "-weight", "-received_at", "-id")
        .distinct("customer_id")
        .values("id", "verbatim", "sentiment_score", "weight", company=F("customer__name"), **ACCOUNT_FIELDS_BRIEF)
    )
    return [
        {**row, "arr": float(row["arr"]), "weight": float(row["weight"]), "url": change_url(FeedbackItem, row["id"])}
        for row in rows
    ]


def pick_verbatims(rows: list[dict], count: int = 3) -> list[dict]:
    """The ``count`` heaviest; when the first ``count - 1`` share a tone, the last is the other tone's best if any."""
    ranked = sorted(rows, key=lambda row: (-row["weight"], row["id"]))
    chosen = ranked[: count - 1]
    tones = {row["sentiment_score"] > 0 for row in chosen}
    rest = ranked[count - 1 :]
    other = [row for row in rest if len(tones) == 1 and (row["sentiment_score"] > 0) not in tones]
    chosen += (other or rest)[:1]
    return [
        {
            "customer": row["company"],
            "arr_text": money(row["arr"]),
            "text": " ".join(row["verbatim"].split()),
            "tone": "positive" if row["sentiment_score"] > 0 else "negative",
            "url": row["url"],
        }
        for row in chosen
    ]


# --- shipped and told ----------------------------------------------------------------------------------------------


def shipped(period: Period) -> dict:
    """Themes and launches shipped this week, and who was told (customer updates)."""
    themes = list(
        Theme.objects.filter(shipped_at__gte=period.since, shipped_at__lt=period.until)
        .order_by("-arr_impacted", "id")
        .values("id", "name", "unique_customers", "arr_impacted")[:LIST]
    )
    statuses = defaultdict(Counter)
    for theme_id, status, n in (
        CustomerUpdate.objects.filter(theme__in=[theme["id"] for theme in themes])
        .values_list("theme", "status")
        .annotate(n=Count("id"))
        .order_by()
    ):
        statuses[theme_id][status] = n
    updates = CustomerUpdate.objects.aggregate(
        told=Count(
            "id", filter=Q(status=CustomerUpdateStatus.TOLD, told_at__gte=period.since, told_at__lt=period.until)
        ),
        to_tell=Count("id", filter=Q(status=CustomerUpdateStatus.TO_TELL)),
        overdue=Count("id", filter=Q(status=CustomerUpdateStatus.TO_TELL, due_on__lte=period.end)),
    )
    told_names = list(
        CustomerUpdate.objects.filter(
            status=CustomerUpdateStatus.TOLD, told_at__gte=period.since, told_at__lt=period.until
        )
        .order_by("-customer__arr", "customer__name")
        .values_list("customer__name", flat=True)
        .distinct()[:LIST]
    )
    launches = list(
        Launch.objects.filter(shipped_on__gte=period.start, shipped_on__lte=period.end)
        .order_by("shipped_on", "id")
        .values("id", "name", "shipped_on")[:LIST]
    )
    return {
        "themes": [
            {
                "name": theme["name"][:80],
                "customers": theme["unique_customers"],
                "arr_text": money(theme["arr_impacted"]),
                "told": statuses[theme["id"]][CustomerUpdateStatus.TOLD],
                "to_tell": statuses[theme["id"]][CustomerUpdateStatus.TO_TELL],
                "url": change_url(Theme, theme["id"]),
            }
            for theme in themes
        ],
        "launches": [
            {"name": launch["name"][:80], "shipped_on": launch["shipped_on"].isoformat()} for launch in launches
        ],
        "updates": {**updates, "told_customers": told_names},
    }
