"""Customer business logic: the natural keys an account is matched by, who owns it, and its computed figures.

Imports (admin CSV/XLSX, the Airtable base) and integrations find accounts through these functions, so an account
is matched the same way wherever its rows come from. The usage figures and the health score are written only here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Q, Value
from django.db.models.functions import Concat, Lower

from customers import usage
from customers.choices import Plan, Tier
from customers.models import Customer
from feedbackhub import events


def normalize_domain(value: str | None) -> str:
    """The bare, lower-case host of ``value``: ``https://www.Acme.com/about`` → ``acme.com``; blank stays blank."""
    text = (value or "").strip().lower()
    if "://" in text:
        text = text.split("://", 1)[1]
    if "@" in text:  # an e-mail address names its domain after the @
        text = text.rsplit("@", 1)[1]
    text = text.split("/", 1)[0].split("?", 1)[0].split(":", 1)[0].rstrip(".")
    return text.removeprefix("www.")


def customer_by_key(*, domain: str | None = None, crm_id: str | None = None) -> Customer | None:
    """The account a row names by domain or CRM id, or None if neither is known yet.

    Raises ValidationError when the domain and the CRM id name two different accounts.
    """
    domain, crm_id = normalize_domain(domain), (crm_id or "").strip()
    by_crm = Customer.objects.filter(crm_id=crm_id).first() if crm_id else None
    by_domain = Customer.objects.filter(domain__iexact=domain).first() if domain else None
    if by_crm and by_domain and by_crm.pk != by_domain.pk:
        raise ValidationError(
            f"CRM id “{crm_id}” belongs to “{by_crm}” but domain “{domain}” belongs to “{by_domain}”: "
            "fix one of them so the row names a single account.",
            code="conflicting_keys",
        )
    return by_crm or by_domain


def customers_named(*, name: str):
    """Accounts whose company name is ``name`` (case and surrounding spaces ignored)."""
    return Customer.objects.filter(name__iexact=name.strip())


def user_by_name(*, name: str | None):
    """The user ``name`` refers to, by e-mail, username or full name (case ignored); None for a blank name.

    Raises ValidationError naming the problem when nobody, or more than one person, answers to ``name``.
    """
    name = " ".join((name or "").split())
    if not name:
        return None
    users = get_user_model().objects.annotate(
        full_name=Lower(Concat("first_name", Value(" "), "last_name")),
    )
    matches = list(users.filter(Q(email__iexact=name) | Q(username__iexact=name) | Q(full_name=name.lower()))[:2])
    if not matches:
        raise ValidationError(
            f"No user is called “{name}”: give an existing user's e-mail, username or full name.", code="unknown_user"
        )
    if len(matches) > 1:
        raise ValidationError(
            f"Several users answer to “{name}”: give their e-mail or username instead.", code="ambiguous_user"
        )
    return matches[0]


def user_label(*, user) -> str:
    """How a person is written in exports: full name, else username (what ``user_by_name`` reads back)."""
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


# --- CRM account sync: the enrichment the CRM owns ----------------------------------------------------------------


@dataclass
class EnrichmentReport:
    """What a CRM sync did: accounts updated, unchanged, and each row or cell it could not apply (row number, why)."""

    updated: int = 0
    unchanged: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


def _choice(value: str, choices, label: str) -> str:
    """The choice ``value`` names by its value or its label (case, spaces, dashes and a ``($…)`` note ignored)."""

    def plain(text: str) -> str:
        return "".join(ch for ch in text.split("(")[0].lower() if ch.isalnum())

    wanted = plain(value)
    for choice_value, choice_label in choices.choices:
        if wanted in (plain(choice_value), plain(str(choice_label))):
            return choice_value
    raise ValidationError(f"{label} “{value}” is not one of {', '.join(choices.values)}.")


def _date(value: str) -> date:
    for fmt in ("%Y-%m-%d", "%m/%d/%Y", "%d.%m.%Y"):
        try:
            return datetime.strptime(value[:10] if fmt == "%Y-%m-%d" else value, fmt).date()
        except ValueError:
            continue
    raise ValidationError(f"renewal date “{value}” is not a date (YYYY-MM-DD or MM/DD/YYYY).")


def _arr(value: str) -> Decimal:
    try:
        arr = Decimal(value.replace(",", "").replace("$", ""))
    except InvalidOperation:
        raise ValidationError(f"ARR “{value}” is not a number.") from None
    if arr < 0:
        raise ValidationError(f"ARR {arr} is negative.")
    return arr.quantize(Decimal("0.01"))


def _health(value: str) -> int:
    try:
        health = round(float(value))
    except ValueError:
        raise ValidationError(f"health score “{value}” is not a number.") from None
    if not 0 <= health <= 100:
        raise ValidationError(f"health score {health} is outside 0–100.")
    return health


# Row key → (customer field, parser of the cell's text).
ENRICHMENT_CELLS = {
    "arr": ("arr", _arr),
    "tier": ("tier", lambda value: _choice(value, Tier, "tier")),
    "plan": ("plan", lambda value: _choice(value, Plan, "plan")),
    "health_score": ("health_score", _health),
    "renewal_date": ("renewal_date", _date),
    "owner_email": ("account_owner", lambda value: user_by_name(name=value)),
}


def enrichment_changes(*, row: dict) -> tuple[dict, list[str]]:
    """The customer fields a CRM row sets, and the problem of each cell that cannot be applied.

    Each cell is checked on its own: a blank cell changes nothing, a bad one is reported and leaves its field as it
    was, and the row's other cells still apply.
    """
    changes, problems = {}, []
    for key, (name, parse) in ENRICHMENT_CELLS.items():
        value = row.get(key)
        if value is None or str(value).strip() == "":
            continue
        try:
            changes[name] = parse(str(value).strip())
        except ValidationError as exc:
            problems.append(" ".join(exc.messages))
    return changes, problems


def update_enrichment(*, rows: Iterable[dict], progress=None) -> EnrichmentReport:
    """Apply a CRM export to the accounts it names: ARR, tier, plan, health, renewal date, owner (by e-mail).

    Each row names its account by ``crm_id`` or ``domain`` (``customer_by_key``) and is applied on its own: a row
    naming no known account, or a bad cell (``enrichment_changes``), is reported with its number; the rest applies.
    Accounts the hub does not know are reported, not created (creating accounts is the customer import's job).
    Matched by domain, an account learns its CRM id. ``progress`` gets ``update(1)`` per row.
    """
    report = EnrichmentReport()
    for number, row in enumerate(rows, start=1):
        try:
            customer = customer_by_key(domain=row.get("domain"), crm_id=row.get("crm_id"))
            if customer is None:
                raise ValidationError(
                    f"no account has CRM id “{row.get('crm_id') or ''}” or domain “{row.get('domain') or ''}”."
                )
            changes, problems = enrichment_changes(row=row)
            report.errors += [(number, problem) for problem in problems]
            changed = [name for name, value in changes.items() if getattr(customer, name) != value]
            if not customer.crm_id and row.get("crm_id"):  # matched by domain: remember the CRM's id from now on
                changes["crm_id"], changed = str(row["crm_id"]).strip(), [*changed, "crm_id"]
            if changed:
                for name in changed:
                    setattr(customer, name, changes[name])
                customer.save(update_fields=[*changed, "updated_at"])
                report.updated += 1
            else:
                report.unchanged += 1
        except ValidationError as exc:
            report.errors.append((number, " ".join(exc.messages)))
        if progress is not None:
            progress.update(1)
    return report


# --- Usage signals and health: figures computed from signals, written only here ------------------------------------

USAGE_RECORDED = "usage.recorded"  # domain event: snapshots of these accounts arrived in a batch (insights reacts)


def refresh_usage_signals(*, customer_ids: Iterable[int] | None = None, today: date | None = None) -> int:
    """Recompute the usage figures (``customers.usage``) of every account, or of ``customer_ids``; rows changed.

    Called by the daily job for all accounts, and after an API write or an import for the accounts it touched.
    """
    return usage.refresh_signals(customer_ids=customer_ids, today=today)


def usage_recorded(*, customer_ids: Iterable[int], batch: str) -> None:
    """A batch of snapshots was saved (an import): refresh these accounts' usage figures now, and tell the apps
    above (``usage.recorded``: the health score follows) once the batch commits. ``batch`` names it uniquely."""
    ids = sorted(set(customer_ids))
    if not ids:
        return
    refresh_usage_signals(customer_ids=ids)
    events.emit(USAGE_RECORDED, key=f"{USAGE_RECORDED}:{batch}", customer_ids=ids)


HEALTH_UPDATE_SQL = """
UPDATE {customers} c SET health_score = s.score
FROM ({scores}) AS s(id, score)
WHERE c.id = s.id AND c.health_score IS DISTINCT FROM s.score
"""


def write_health_scores(*, scores_sql: str, params: dict | list | tuple) -> int:
    """Set ``health_score`` from a query of ``(customer id, score)`` rows, in one statement; rows changed.

    The query (``insights.health``) computes the scores; here they are clamped to 0–100 and only rows whose score
    moved are written. Health is a computed figure: not tracked in the customer's history (``COMPUTED_FIELDS``).
    """
    clamped = (
        f"SELECT id, LEAST(100, GREATEST(0, round(score::numeric)))::smallint FROM ({scores_sql}) AS raw(id, score)"
    )
    sql = HEALTH_UPDATE_SQL.format(customers=connection.ops.quote_name(Customer._meta.db_table), scores=clamped)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount
