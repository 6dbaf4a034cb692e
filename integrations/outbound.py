"""Outbound automations (seed 001 "Automation Opportunities"): feedback that matches a rule opens a Linear or GitHub
issue, and a shipped theme writes "feedback addressed" on each requester's CRM account.

Rules and decisions
-------------------
``OutboundRule`` rows are tried in ``position`` order and the first that matches wins (``match_rules``), whether it is
switched on or not: a rule that is off is a *dry run* — it records what it would have opened (status ``dry_run``,
key ``dry:<rule>:<item>``) and sends nothing. A rule that is on writes the outbox row ``tracker:<item>`` (pending).
That key is unique, so one item never gets two tracker issues, whichever rule, door or retry asks for it.
Switching a rule on sends what matches from then on; what it recorded as dry runs is opened when a person asks
(``open_dry_runs``, in a worker: the admin's "Open issues for the dry runs" queues it), evaluated again as any item is.

Rules are evaluated on the ``feedback.triaged`` domain event: triage emits it once per batch it applied, and
``feedback.services.save_feedback`` once per item a person gives a new category, priority or product, through any
door (API, admin form or grid, import). That event is the single way a change reaches the rules; besides it, a
person may run "Run outbound rules now" on a selection. Both call ``evaluate_items``. An item evaluated again after
its issue exists changes nothing.

The decision and its outbox row are written in one transaction; the row is sent after commit
(``outbound_delivery.send_soon``) and, if the broker missed it, by the minute sweep. Sending, retries and the
idempotent create are in ``integrations.outbound_delivery``.

CRM "feedback addressed"
------------------------
When a theme ships and its requesters are told (``customer_updates.created``, from ``launches.closing``), one
``crm_addressed`` row per customer (key ``crm:<theme>:<customer>``) carries the field(s) to write. With a CRM API
configured (``settings.CONNECTORS["crm"]``: SALESFORCE_INSTANCE_URL and SALESFORCE_TOKEN) they are sent as a
Salesforce-style PATCH of the Account; without one they wait for the CSV export (``export_crm_addressed``).
"""

from __future__ import annotations

import csv
import logging
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TextIO

from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Func, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.constants import OnConflict
from django.utils import timezone
from django.utils.crypto import salted_hmac

from feedback.models import FeedbackItem
from feedback.triage import TRIAGED_EVENT
from feedbackhub import events
from feedbackhub.advisory_lock import advisory_lock
from feedbackhub.formatting import change_url
from integrations.choices import OutboundKind, OutboundStatus
from integrations.models import OutboundAction, OutboundRule
from launches.closing import CREATED_EVENT, theme_feedback
from launches.models import CustomerUpdate

logger = logging.getLogger(__name__)

CRM_FIELD_DEFAULT = "Feedback_Addressed__c"
GITHUB_LABELS = ["feedback"]
TITLE_CHARS = 120
QUOTE_CHARS = 2000
ISSUE_ID_SALT = "integrations.outbound.issue_uuid"  # the HMAC's purpose: no other use of SECRET_KEY makes these bytes
CSV_COLUMNS = ["crm_id", "customer", "theme", "shipped_on", "items", "field", "value", "action_key"]


# --- Rules ------------------------------------------------------------------------------------------------------------


def rules() -> list[OutboundRule]:
    """Every rule in the order they are tried (a handful of rows: read once per evaluation)."""
    return list(OutboundRule.objects.order_by("position", "id"))


def rule_matches(rule: OutboundRule, item: FeedbackItem) -> bool:
    """Whether ``item`` meets each of ``rule``'s conditions (an empty condition matches anything)."""
    return all(
        not allowed or getattr(item, name) in allowed
        for name, allowed in (("category", rule.categories), ("priority", rule.priorities), ("product", rule.products))
    )


def match_rules(item: FeedbackItem, *, candidates: list[OutboundRule] | None = None) -> OutboundRule | None:
    """The first rule (by position) that ``item`` matches, switched on or dry run; None when none does."""
    return next((rule for rule in (rules() if candidates is None else candidates) if rule_matches(rule, item)), None)


def check_target(*, kind: str, target: str) -> str | None:
    """Why ``target`` cannot be where a rule of ``kind`` opens issues (None when it can)."""
    target = target.strip()
    if kind == OutboundKind.GITHUB_ISSUE and (target.count("/") != 1 or not all(target.split("/"))):
        return "A GitHub target is the repository as owner/name, e.g. acme/api."
    if not target:
        return "Name the Linear team id (Settings → Teams → the team → copy id)."
    return None


@transaction.atomic
def set_rules_enabled(*, rules_qs: QuerySet[OutboundRule], enabled: bool, user=None) -> int:
    """Switch rules on (they send) or off (dry run), logged in the admin history under ``user``; returns how many
    changed. Dry runs recorded while a rule was off stay records: switching on sends only what matches from then on."""
    chosen = list(rules_qs.exclude(enabled=enabled).values_list("pk", flat=True))
    OutboundRule.objects.filter(pk__in=chosen).update(enabled=enabled)
    if chosen and user is not None and user.pk is not None:
        LogEntry.objects.log_actions(
            user_id=user.pk,
            queryset=OutboundRule.objects.filter(pk__in=chosen),
            action_flag=CHANGE,
            change_message="Switched on (sends)." if enabled else "Switched off (dry run).",
        )
    return len(chosen)


def _actions_of_rule(status: str) -> Subquery:
    """How many of the rule's actions have ``status``: a count per rule row, read from (rule, status) alone."""
    counted = (
        OutboundAction.objects.filter(rule=OuterRef("pk"), status=status)
        .order_by()
        .annotate(n=Func(Value(1), function="COUNT"))
        .values("n")
    )
    return Subquery(counted, output_field=IntegerField())  # COUNT without GROUP BY: always one row, 0 for none


def with_counts(queryset: QuerySet[OutboundRule]) -> QuerySet[OutboundRule]:
    """Rules with ``dry_runs`` (what each would have opened while off) and ``opened`` (issues sent) counted.

    One correlated count per rule and status (an index-only scan of ``outbound_rule_status_idx``), not a join of the
    rules with every outbox row grouped back: the list's cost follows the rules on the page, not the outbox's size."""
    return queryset.annotate(
        dry_runs=_actions_of_rule(OutboundStatus.DRY_RUN), opened=_actions_of_rule(OutboundStatus.SENT)
    )


# --- The issue an item would open -------------------------------------------------------------------------------------


def issue_uuid(item_id: int) -> str:
    """The tracker-side id of an item's issue, shaped as a UUID v4 (Linear takes it as ``IssueCreateInput.id`` and
    refuses a second issue with it; GitHub carries it in a hidden marker).

    An HMAC of the item id under this install's ``SECRET_KEY``: stable for the item (every retry asks for the same
    issue), different on every install, and not guessable from outside — an id made from public facts (the hub's
    address and an item number) let anyone write another item's marker, or take its Linear id first. The id is kept
    in the action's payload when the rule decides, so rotating the secret key changes no decided action's issue."""
    digest = salted_hmac(ISSUE_ID_SALT, str(int(item_id)), algorithm="sha256").digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))


def marker(issue_id: str) -> str:
    """The hidden line in a GitHub issue's body that says which item it was opened for: always the body's last line
    (``outbound_delivery`` appends it; ``GitHubConnector.find_issue`` reads only that line)."""
    return f"<!-- feedbackhub:feedback-item:{issue_id} -->"


def neutralise_comments(text: str) -> str:
    """``text`` with HTML comment delimiters escaped (``\\<!--``, ``--\\>``: Markdown shows them as typed): what a
    customer wrote can never hide text in the issue, nor carry a marker that looks like the hub's."""
    return text.replace("<!--", "\\<!--").replace("-->", "--\\>")


def item_admin_url(item_id: int) -> str:
    """The item's admin page, absolute when ``HUB_BASE_URL`` is set: the tracker issue links back to it."""
    return settings.HUB_BASE_URL + change_url(FeedbackItem, item_id)


def issue_payload(item: FeedbackItem, rule: OutboundRule) -> dict:
    """What the tracker is (or would be) sent for ``item`` under ``rule``: title, description, target, the issue id."""
    lines = item.verbatim.strip().splitlines()
    headline = (item.summary or (lines[0] if lines else "")).strip()
    if len(headline) > TITLE_CHARS:
        headline = headline[: TITLE_CHARS - 1] + "…"
    title = f"[{item.get_category_display() or 'Feedback'}] {headline or f'Feedback #{item.pk}'}"
    customer = item.customer
    who = (
        f"{customer.name} ({customer.get_tier_display()}, ARR ${customer.arr:,.0f})" if customer else "no customer yet"
    )
    facts = [
        ("Customer", who),
        ("Category", item.get_category_display() or "—"),
        ("Priority", item.get_priority_display() or "—"),
        ("Severity", item.get_severity_display() or "—"),
        ("Product", item.get_product_display() or "—"),
        ("Source", item.get_source_display()),
        ("Received", f"{item.received_at:%Y-%m-%d}" if item.received_at else "—"),
    ]
    quote = item.verbatim.strip()[:QUOTE_CHARS]
    description = "\n".join(
        [
            "> " + neutralise_comments(quote).replace("\n", "\n> "),
            "",
            *(f"- **{name}:** {value}" for name, value in facts),
            "",
            f"Opened by the FeedbackHub rule “{neutralise_comments(rule.name)}” from "
            f"[feedback #{item.pk}]({item_admin_url(item.pk)}).",
        ]
    )
    payload = {
        "title": title,
        "description": description,
        "target": rule.target.strip(),
        "issue_id": issue_uuid(item.pk),
    }
    if rule.kind == OutboundKind.GITHUB_ISSUE:
        payload["labels"] = GITHUB_LABELS
    return payload


# --- Evaluating items -------------------------------------------------------------------------------------------------


@dataclass
class Evaluation:
    """What ``evaluate_items`` decided: the outbox rows it queued (created by this call: a row another evaluation
    created first counts as ``already``), the items that matched a rule in dry run, items left alone."""

    queued: list[int] = field(default_factory=list)
    dry_runs: int = 0
    unmatched: int = 0
    already: int = 0


def _insert_new(rows: list[OutboundAction]) -> dict[str, int]:
    """Insert ``rows`` but those whose key exists, as ``INSERT … ON CONFLICT DO NOTHING RETURNING id, key``; returns
    the ids of the rows this call inserted, by key. A key another transaction is inserting at the same moment waits
    for it and then counts as that one's: two evaluations at once never both claim a row (reading the keys back after
    the insert, as ``bulk_create(ignore_conflicts=True)`` would need, found the other's committed row as well).
    Through the queryset's ``_insert`` (what ``bulk_create`` calls): the fields' defaults and conversions hold."""
    if not rows:
        return {}
    meta = OutboundAction._meta
    fields = [column for column in meta.concrete_fields if not column.primary_key]
    size = max(connection.ops.bulk_batch_size(fields, rows), 1)
    created: dict[str, int] = {}
    for start in range(0, len(rows), size):
        returned = OutboundAction.objects._insert(
            rows[start : start + size],
            fields=fields,
            returning_fields=[meta.pk, meta.get_field("key")],
            on_conflict=OnConflict.IGNORE,
        )
        created.update({key: pk for pk, key in filter(None, returned)})  # one row skipped comes back as None
    return created


@transaction.atomic
def evaluate_items(*, item_ids: Iterable[int]) -> Evaluation:
    """Match each item against the rules and write the outbox rows of those that match (the module's docstring has
    the rules). Set-based: three queries and one insert for a triage batch, whatever its size. ``queued`` is the
    tracker rows this call inserted, each sent once (``send_soon``); a row another evaluation inserted meanwhile is
    ``already``."""
    from integrations import outbound_delivery

    ids = sorted({int(pk) for pk in item_ids})
    result = Evaluation()
    candidates = rules()
    if not ids or not candidates:
        result.unmatched = len(ids)
        return result
    items = (
        FeedbackItem.objects.filter(pk__in=ids)
        .select_related("customer")
        .defer("raw_payload", "human_fields")
        .order_by("pk")  # rows inserted in item order by every evaluation: two at once wait, never deadlock
    )
    has_issue = set(
        OutboundAction.objects.filter(key__in=[f"tracker:{pk}" for pk in ids]).values_list("item_id", flat=True)
    )
    rows = []
    for item in items:
        rule = match_rules(item, candidates=candidates)
        if rule is None:
            result.unmatched += 1
            continue
        if item.pk in has_issue:
            result.already += 1
            continue
        live = rule.enabled
        rows.append(
            OutboundAction(
                key=f"tracker:{item.pk}" if live else f"dry:{rule.pk}:{item.pk}",
                kind=rule.kind,
                rule=rule,
                item=item,
                customer_id=item.customer_id,
                status=OutboundStatus.PENDING if live else OutboundStatus.DRY_RUN,
                payload=issue_payload(item, rule),
            )
        )
    created = _insert_new(rows)  # a key decided before stays as it was
    result.dry_runs = sum(1 for row in rows if row.status == OutboundStatus.DRY_RUN)
    live_keys = [row.key for row in rows if row.status == OutboundStatus.PENDING]
    result.queued = sorted(created[key] for key in live_keys if key in created)
    result.already += len(live_keys) - len(result.queued)  # another evaluation inserted it since ``has_issue``
    for action_id in result.queued:
        outbound_delivery.send_soon(action_id)
    return result


OPEN_DRY_RUNS_BATCH = 500  # items evaluated per transaction when a switched-on rule opens its dry runs
OPEN_DRY_RUNS_LOCK = 0x4F44  # "OD": the first key of the advisory lock a rule's opening holds (the second is its id)


def _opening_lock(rule_id: int):
    """A rule's opening of its dry runs: one run at a time (``feedbackhub.advisory_lock``)."""
    return advisory_lock(OPEN_DRY_RUNS_LOCK, rule_id)


def open_dry_runs(*, rule: OutboundRule, user=None, batch: int = OPEN_DRY_RUNS_BATCH) -> Evaluation | None:
    """Open the issues a rule, now switched on, recorded as dry runs while it was off (the admin's "Open issues for
    the dry runs" queues ``outbound_tasks.open_dry_runs``, which calls this). Its dry-run items are evaluated again
    through ``evaluate_items``, ``batch`` at a time (one transaction each), so its rules hold: the first matching rule
    wins (an item that now matches an earlier rule goes to that one, a dry run again if that rule is off), an item
    with an issue gets no second one (``already``), and an item that matches no rule now is left alone
    (``unmatched``). The dry-run rows stay as records. Logged in the rule's admin history under ``user``. A rule
    still off is refused (``ValidationError``): switch it on first.

    One run per rule at a time (a session advisory lock): a second one asked for meanwhile (a double click) does
    nothing, says so in the log and returns None; asked for again later, it finds the issues the first queued as
    ``already``."""
    rule.refresh_from_db(fields=["enabled"])
    if not rule.enabled:
        refusal = f"“{rule.name}” is still a dry run: switch it on first, then open its dry runs."
        _note_in_history(rule, user, f"Dry runs not opened: {refusal}")  # the person asked in the background
        raise ValidationError(refusal)
    with _opening_lock(rule.pk) as held:
        if not held:
            logger.info("outbound rule %s (%s): its dry runs are being opened by another run; skipped", rule.pk, rule)
            return None
        return _open_dry_runs(rule=rule, user=user, batch=batch)


def _open_dry_runs(*, rule: OutboundRule, user, batch: int) -> Evaluation:
    item_ids = list(
        OutboundAction.objects.filter(rule=rule, status=OutboundStatus.DRY_RUN, item__isnull=False)
        .order_by("item_id")
        .values_list("item_id", flat=True)
    )  # one row per item: the key is dry:<rule>:<item>
    total = Evaluation()
    for start in range(0, len(item_ids), batch):
        done = evaluate_items(item_ids=item_ids[start : start + batch])
        total.queued += done.queued
        total.dry_runs += done.dry_runs
        total.unmatched += done.unmatched
        total.already += done.already
    message = (
        f"Opened its dry runs: {len(total.queued):,} issue(s) queued, {total.already:,} already had an issue, "
        f"{total.unmatched:,} no longer match, {total.dry_runs:,} now match an earlier rule still in dry run."
    )
    _note_in_history(rule, user, message)
    logger.info("outbound rule %s (%s): %s", rule.pk, rule.name, message)
    return total


def _note_in_history(rule: OutboundRule, user, message: str) -> None:
    """``message`` in the rule's admin history under ``user`` (none given: nothing to write it under)."""
    if user is not None and user.pk is not None:
        LogEntry.objects.log_actions(
            user_id=user.pk,
            queryset=OutboundRule.objects.filter(pk=rule.pk),
            action_flag=CHANGE,
            change_message=message,
        )


def on_triaged(payload: dict) -> None:
    """``feedback.triaged`` {"item_ids"}: evaluate the rules for the batch triage just applied."""
    evaluate_items(item_ids=payload.get("item_ids") or [])


def subscribe_handlers() -> None:
    """Called once from ``IntegrationsConfig.ready``: triage's batches and the close-the-loop updates."""
    events.subscribe(TRIAGED_EVENT, on_triaged)
    events.subscribe(CREATED_EVENT, on_customer_updates_created)


# --- CRM: feedback addressed ------------------------------------------------------------------------------------------


def crm_field() -> str:
    """The Account field "feedback addressed" is written to (``CRM_ADDRESSED_FIELD``)."""
    return getattr(settings, "CRM_ADDRESSED_FIELD", "") or CRM_FIELD_DEFAULT


def crm_api_configured() -> bool:
    """Whether the CRM has an API to write to (else the rows wait for the CSV export)."""
    crm = settings.CONNECTORS.get("crm") or {}
    return bool(crm.get("base_url") and crm.get("token"))


@transaction.atomic
def enqueue_crm_addressed(*, theme_id: int, update_ids: Iterable[int]) -> list[int]:
    """One ``crm_addressed`` row per customer told about theme ``theme_id`` (key ``crm:<theme>:<customer>``: a
    re-ship or a replayed event writes nothing twice); returns the ids of the rows created. Sent at once when the CRM
    has an API; otherwise they wait for ``export_crm_addressed``."""
    from integrations import outbound_delivery

    updates = list(
        CustomerUpdate.objects.filter(pk__in=list(update_ids), theme_id=theme_id)
        .select_related("theme", "customer")
        .order_by("customer_id")
    )
    if not updates:
        return []
    items_of: dict[int, list[int]] = defaultdict(list)
    for customer_id, pk in (
        theme_feedback(theme_id=theme_id)
        .filter(customer_id__in=[u.customer_id for u in updates])
        .order_by("pk")
        .values_list("customer_id", "pk")
    ):
        items_of[customer_id].append(pk)
    theme = updates[0].theme
    shipped_on = timezone.localdate(theme.shipped_at) if theme.shipped_at else timezone.localdate()
    value = f"{theme.name} shipped {shipped_on:%Y-%m-%d}"
    rows = [
        OutboundAction(
            key=f"crm:{theme_id}:{update.customer_id}",
            kind=OutboundKind.CRM_ADDRESSED,
            theme_id=theme_id,
            customer_id=update.customer_id,
            payload={
                "fields": {crm_field(): value},
                "customer": update.customer.name,
                "theme": theme.name,
                "shipped_on": shipped_on.isoformat(),
                "item_ids": items_of.get(update.customer_id, []),
            },
        )
        for update in updates
    ]
    OutboundAction.objects.bulk_create(rows, ignore_conflicts=True)
    created = list(
        OutboundAction.objects.filter(key__in=[row.key for row in rows], status=OutboundStatus.PENDING)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if crm_api_configured():
        for action_id in created:
            outbound_delivery.send_soon(action_id)
    return created


def on_customer_updates_created(payload: dict) -> None:
    """``customer_updates.created`` {"theme_id", "update_ids"}: "feedback addressed" for each customer told."""
    enqueue_crm_addressed(theme_id=int(payload["theme_id"]), update_ids=payload.get("update_ids") or [])


@transaction.atomic
def export_crm_addressed(*, out: TextIO, ids: Iterable[int] | None = None) -> int:
    """Write the pending "feedback addressed" rows (or those of ``ids``) as CSV to ``out`` — for a CRM without an API
    — and mark them sent; returns how many. Rows another export holds are skipped (``skip_locked``), so two exports
    at once never list a row twice."""
    queryset = OutboundAction.objects.select_for_update(skip_locked=True, of=("self",)).filter(
        kind=OutboundKind.CRM_ADDRESSED, status=OutboundStatus.PENDING
    )
    if ids is not None:
        queryset = queryset.filter(pk__in=list(ids))
    actions = list(queryset.select_related("customer").order_by("pk"))
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for action in actions:
        payload = action.payload
        for name, value in (payload.get("fields") or {}).items():
            writer.writerow(
                [
                    action.customer.crm_id if action.customer else "",
                    payload.get("customer", ""),
                    payload.get("theme", ""),
                    payload.get("shipped_on", ""),
                    " ".join(str(pk) for pk in payload.get("item_ids", [])),
                    name,
                    value,
                    action.key,
                ]
            )
    now = timezone.now()
    OutboundAction.objects.filter(pk__in=[a.pk for a in actions]).update(
        status=OutboundStatus.SENT, sent_at=now, external_id="csv", last_error=""
    )
    return len(actions)


# --- A person's retry -------------------------------------------------------------------------------------------------


def retry_actions(*, ids: Iterable[int], user=None) -> int:
    """Make failed actions due now with a full set of tries (the admin's "Retry now"). Only failed ones: a pending one
    may be in a worker's hands right now (its lease), and a sent or dry-run one is done. Logged under ``user``;
    returns how many."""
    from integrations import outbound_delivery

    with transaction.atomic():
        chosen = list(
            OutboundAction.objects.select_for_update(skip_locked=True)
            .filter(pk__in=list(ids), status=OutboundStatus.FAILED)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if not chosen:
            return 0
        OutboundAction.objects.filter(pk__in=chosen).update(
            status=OutboundStatus.PENDING, attempts=0, next_attempt_at=timezone.now()
        )
        if user is not None and user.pk is not None:
            LogEntry.objects.log_actions(
                user_id=user.pk,
                queryset=OutboundAction.objects.filter(pk__in=chosen),
                action_flag=CHANGE,
                change_message="Retried (due now).",
            )
        for action_id in chosen[: outbound_delivery.SEND_NOW_LIMIT]:
            outbound_delivery.send_soon(action_id)
    return len(chosen)
