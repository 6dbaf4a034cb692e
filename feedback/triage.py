"""The triage pipeline (issue 8; seeds 001 and 002): every new item gets a category, sentiment, severity, priority
with its reason, tags, product, product area, language, churn signal, competitors and a JTBD, from the configured AI
provider; the result is a ``TriageRecord``; what a person set is never overwritten; every change a person makes to a
value triage set is logged as a ``FieldOverride``.

Call transcripts and long threads are first cut into pieces (``feedback.transcripts``): the pieces are triaged, the
transcript is kept as their source. Doors: ``feedback.tasks.triage_items`` (ingestion and the sweep), ``manage.py
triage`` (backfills). A person's changes to these fields are theirs from then on (``feedback.overrides``, through
``services.save_feedback``).

- Idempotent: an item with ``triaged_at`` is skipped unless ``force`` (ingestion clears ``triaged_at`` when the
  text changes, so an edited text is triaged again). The check is repeated under a row lock in the write
  transaction, so two deliveries of one message never record an item twice.
- One batch: the items and their customers in one query, the missing vectors embedded in one provider call and
  stored with the item's date, one ``provider.triage`` call, then records, items and vectors written in bulk in
  one transaction.
- Outcomes: ``applied`` (values written, except fields in ``human_fields``), ``shadow`` (``TRIAGE_SHADOW_MODE``:
  nothing written but ``triaged_at``), ``needs_review`` (the provider cannot read the text well: only the
  detected language is written; the item shows up in the admin's "Needs a person" list).

``compute_triage`` is the computing half on its own (vectors, request, provider call, checked record with its
priority), writing nothing: the batch above applies and stores what it returns; ``insights.shadow`` compares what
another provider would conclude with what the live one did.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from celery import current_app
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from ai.types import MAX_TAGS, CustomerContext, ThemeContext, TriageRequest, TriageResult
from feedback import duplicates, transcripts
from feedback.choices import Category, Product, ProductArea, Severity
from feedback.models import ClassifierVersion, FeedbackEmbedding, FeedbackItem, TriageRecord
from feedback.overrides import HUMAN_FIELDS
from feedback.priority import priority_for
from feedback.services import (
    TRIAGED_EVENT,
    _theme_model,
    active_embedding_space,
    apply_sentiment,
    content_hash,
    embedding_text,
)
from feedbackhub import events

log = logging.getLogger(__name__)

BATCH_SIZE = 256  # items per provider call and per write transaction
MAX_THEMES = 50  # themes the prompt receives (the active ones with the most ARR impacted)
MATCH_THEMES_TASK = "themes.tasks.match_items"  # sent by name: feedback sits below themes and does not import it
ITEM_UPDATE_FIELDS = [*HUMAN_FIELDS, "sentiment_label", "triaged_at", "updated_at"]  # what a batch writes
CHOICES = {"category": Category, "product": Product, "product_area": ProductArea, "severity": Severity}


@dataclass
class TriageRun:
    """What a ``triage_items`` call did: items recorded by outcome, and items it skipped (triaged already, gone)."""

    applied: int = 0
    shadow: int = 0
    needs_review: int = 0
    skipped: int = 0
    embedded: int = 0
    split: int = 0  # transcripts and long threads cut into pieces (the pieces are triaged, not the transcript)
    item_ids: list[int] = field(default_factory=list)

    @property
    def triaged(self) -> int:
        return self.applied + self.shadow + self.needs_review


@dataclass(frozen=True)
class ComputedTriage:
    """What a provider concludes about one item, nothing applied or stored.

    ``result``: the provider's answer as it came. ``record``: the unsaved ``TriageRecord`` it becomes (values checked
    against the taxonomy, seed 002's priority from the severity the item will carry), with no outcome and no applied
    fields yet. ``new_vector``: the unsaved embedding row computed for the call when the item had no current vector
    in the active space (None when a stored one was used); storing it is the caller's choice.
    """

    item: FeedbackItem
    result: TriageResult
    record: TriageRecord
    new_vector: FeedbackEmbedding | None = None


def compute_triage(items: Sequence[FeedbackItem], *, provider) -> list[ComputedTriage]:
    """``provider``'s triage of ``items``, in their order, writing nothing (no item field, no ``TriageRecord``, no
    vector, no ``triaged_at``).

    ``items`` come with their customer (``select_related("customer")``; ``raw_payload`` may be deferred). One read of
    the stored vectors, one ``provider.embed`` call for the items without a current one, one read of the themes the
    prompt names, one ``provider.triage`` call. ``provider`` is used as given: ``triage_items`` loads the active
    classifier into it first (``use_active_classifier``); a shadow provider keeps the version it was given.
    """
    items = list(items)
    if not items:
        return []
    space = active_embedding_space(provider=provider)
    vectors, new_vectors = _vectors(items, space=space, provider=provider)
    themes = _theme_context()
    results = provider.triage([_request(item, themes) for item in items], vectors=[vectors[item.pk] for item in items])
    new_by_item = {row.feedback_id: row for row in new_vectors}
    return [
        ComputedTriage(
            item=item,
            result=result,
            record=_record(item=item, customer=item.customer, result=result, provider=provider),
            new_vector=new_by_item.get(item.pk),
        )
        for item, result in zip(items, results, strict=True)
    ]


def triage_items(*, item_ids: Iterable[int], force: bool = False, provider=None) -> TriageRun:
    """Triage the items ``item_ids`` with ``provider`` (default: the configured one), in batches of ``BATCH_SIZE``.

    Items triaged already are skipped unless ``force``; ids that are gone are ignored.
    """
    if provider is None:
        from ai.providers import get_provider

        provider = get_provider()
    use_active_classifier(provider)
    ids = list(dict.fromkeys(int(pk) for pk in item_ids))
    run = TriageRun()
    if not settings.TRIAGE_SHADOW_MODE:
        ids = _split_transcripts(ids, force=force, provider=provider, run=run)
    for start in range(0, len(ids), BATCH_SIZE):
        _triage_batch(ids[start : start + BATCH_SIZE], force=force, provider=provider, run=run)
    return run


BACKLOG_GRACE = timedelta(minutes=2)  # the ingest message triages a new item first; the sweep takes what it missed
BACKLOG_BATCH = 512


def untriaged_backlog(*, limit: int = BACKLOG_BATCH) -> list[int]:
    """The oldest untriaged items made more than ``BACKLOG_GRACE`` ago: what no triage message covered (items a
    person made in the admin, the API or an import; pieces of a transcript whose run failed after the split). The
    partial index ``feedback_untriaged_idx`` serves it."""
    cutoff = timezone.now() - BACKLOG_GRACE
    return list(
        FeedbackItem.objects.untriaged()
        .filter(created_at__lt=cutoff)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )


def _split_transcripts(ids: list[int], *, force: bool, provider, run: TriageRun) -> list[int]:
    """``ids`` with each call transcript or long thread replaced by the items cut out of it (``feedback.transcripts``):
    the pieces are triaged, the transcript is kept as their source and not triaged as one item."""
    for item in transcripts.transcripts_among(ids, force=force):
        pieces = transcripts.split_transcript(item=item, provider=provider)
        if pieces:
            run.split += 1
            ids = [pk for pk in ids if pk != item.pk] + [pk for pk in pieces if pk not in ids]
    return ids


def _triage_batch(ids: list[int], *, force: bool, provider, run: TriageRun) -> None:
    """One batch: read, embed what is missing, triage, then write everything in one transaction."""
    items = list(FeedbackItem.objects.filter(pk__in=ids).select_related("customer").defer("raw_payload").order_by("pk"))
    run.skipped += len(ids) - len(items)
    if not force:
        run.skipped += sum(1 for item in items if item.triaged_at is not None)
        items = [item for item in items if item.triaged_at is None]
    if not items:
        return
    computed = compute_triage(items, provider=provider)
    new_vectors = [one.new_vector for one in computed if one.new_vector is not None]
    run.embedded += len(new_vectors)
    # What triage wrote before (a forced run, or a text changed since): its values are triage's, not the source's.
    ai_set = _fields_set_by_triage([item.pk for item in items])
    shadow = bool(settings.TRIAGE_SHADOW_MODE)
    now = timezone.now()
    with transaction.atomic():
        locked = {
            row.pk: row
            for row in FeedbackItem.objects.select_for_update()
            .filter(pk__in=[item.pk for item in items])
            .only("pk", "human_fields", *ITEM_UPDATE_FIELDS)
        }
        records, changed = [], []
        for one in computed:
            item, result, record = one.item, one.result, one.record
            current = locked.get(item.pk)
            if current is None or (not force and current.triaged_at is not None):
                run.skipped += 1  # deleted meanwhile, or another delivery of the same message got here first
                continue
            if _person_severity(current) != _person_severity(item):
                # A person set the severity while the provider worked: the priority follows theirs.
                record = _record(item=current, customer=item.customer, result=result, provider=provider)
            record.outcome = (
                TriageRecord.Outcome.SHADOW
                if shadow
                else TriageRecord.Outcome.APPLIED
                if result.handled
                else TriageRecord.Outcome.NEEDS_REVIEW
            )
            record.applied_fields = _apply(current, record, ai_set=ai_set.get(item.pk, set()))
            current.triaged_at = current.updated_at = now
            records.append(record)
            changed.append(current)
            setattr(run, record.outcome, getattr(run, record.outcome) + 1)
        TriageRecord.objects.bulk_create(records)
        _write_items(changed)
        if new_vectors:  # after the items: the database copies their new product onto the rows (no second write)
            FeedbackEmbedding.objects.bulk_create(
                new_vectors,
                update_conflicts=True,
                unique_fields=["feedback", "space"],
                update_fields=["vector", "dimensions", "content_hash", "received_at", "customer_id", "product"],
            )
        applied = [record.feedback_id for record in records if record.outcome == TriageRecord.Outcome.APPLIED]
        if applied:
            transaction.on_commit(lambda: _send_theme_matching(applied))
            # One event per batch (not per item) for the apps that act on triaged feedback (outbound rules).
            events.emit(TRIAGED_EVENT, key=f"{TRIAGED_EVENT}:{now.isoformat()}:{applied[0]}", item_ids=applied)
    triaged = [record.feedback_id for record in records]
    run.item_ids.extend(triaged)
    if triaged:
        _suggest_duplicates(triaged)


# One UPDATE for the batch (Django's bulk_update builds a CASE per field and row: seconds of Python per batch).
UPDATE_SQL = """
UPDATE {table} AS f SET
    category = r.category, product = r.product, product_area = r.product_area, severity = r.severity,
    priority = r.priority, sentiment_score = r.sentiment_score, sentiment_label = r.sentiment_label,
    tags = ARRAY(SELECT jsonb_array_elements_text(r.tags))::varchar(50)[], language = r.language,
    churn_signal = r.churn_signal, competitors = ARRAY(SELECT jsonb_array_elements_text(r.competitors))::varchar(50)[],
    jtbd = r.jtbd, summary = r.summary, triaged_at = r.triaged_at, updated_at = r.triaged_at
FROM jsonb_to_recordset(%s::jsonb) AS r(
    id bigint, category text, product text, product_area text, severity text, priority text,
    sentiment_score double precision, sentiment_label text, tags jsonb, language text, churn_signal boolean,
    competitors jsonb, jtbd text, summary text, triaged_at timestamptz
)
WHERE f.id = r.id
"""


def _write_items(items: list[FeedbackItem]) -> None:
    """Store the triage fields, ``triaged_at`` and ``updated_at`` of ``items`` in one statement."""
    if not items:
        return
    rows = [
        {
            "id": item.pk,
            **{name: getattr(item, name) for name in HUMAN_FIELDS},
            "sentiment_label": item.sentiment_label,
            "triaged_at": item.triaged_at.isoformat(),
        }
        for item in items
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            UPDATE_SQL.format(table=connection.ops.quote_name(FeedbackItem._meta.db_table)), [json.dumps(rows)]
        )


def _vectors(items: list[FeedbackItem], *, space, provider) -> tuple[dict[int, list[float]], list[FeedbackEmbedding]]:
    """Every item's vector of its current text in ``space``: the stored ones, the others embedded in one call.

    Returns the vectors by item id and the new rows to store (with the item's date, for windowed lookups).
    """
    hashes = {item.pk: content_hash(embedding_text(item)) for item in items}
    vectors = {
        pk: list(vector)
        for pk, vector, digest in FeedbackEmbedding.objects.filter(
            space=space, feedback_id__in=list(hashes)
        ).values_list("feedback_id", "vector", "content_hash")
        if digest == hashes[pk]
    }
    missing = [item for item in items if item.pk not in vectors]
    rows = []
    if missing:
        for item, vector in zip(missing, provider.embed([embedding_text(item) for item in missing]), strict=True):
            vectors[item.pk] = list(vector)
            rows.append(
                FeedbackEmbedding(
                    feedback_id=item.pk,
                    space=space,
                    dimensions=space.dimensions,
                    vector=list(vector),
                    content_hash=hashes[item.pk],
                    received_at=item.received_at,
                )
            )
    return vectors, rows


def _theme_context() -> tuple[ThemeContext, ...]:
    """The active themes the prompt may name (most ARR impacted first, capped)."""
    themes = _theme_model().objects.active().by_arr_impact().values_list("pk", "name", "description")[:MAX_THEMES]
    return tuple(
        ThemeContext(id=pk, name=name, description=(description or "")[:300]) for pk, name, description in themes
    )


def _request(item: FeedbackItem, themes: tuple[ThemeContext, ...]) -> TriageRequest:
    """What the provider receives for ``item``: its text, source, customer and the themes."""
    customer = item.customer
    context = None
    if customer is not None:
        context = CustomerContext(
            company=customer.name,
            tier=customer.tier,
            arr=float(customer.arr) if customer.arr is not None else None,
            industry=customer.industry,
            region=customer.region,
            lifecycle=customer.lifecycle_stage,
            language=customer.language,
        )
    return TriageRequest(text=embedding_text(item), source=item.source, customer=context, themes=themes)


def _record(*, item: FeedbackItem, customer, result: TriageResult, provider) -> TriageRecord:
    """The triage record of ``result`` (values checked against the taxonomy), with seed 002's priority."""
    notes = [result.notes] if result.notes else []
    values = {}
    for name, choices in CHOICES.items():
        value = getattr(result, name) or ""
        if value and value not in choices.values:
            notes.append(f"{name} {value!r} is not in the taxonomy: left blank")
            value = ""
        values[name] = value
    score = max(-1.0, min(1.0, float(result.sentiment_score)))
    # The priority follows the severity the item will carry: a person's, when they set one.
    severity = _person_severity(item) or values["severity"]
    priority = priority_for(severity=severity, customer=customer, churn_signal=bool(result.churn_signal))
    record = TriageRecord(
        feedback_id=item.pk,
        provider=(result.provider or getattr(provider, "name", ""))[:32],
        model=(result.model or getattr(provider, "model", ""))[:100],
        version=(result.version or getattr(provider, "version", "") or "")[:100],
        confidence=result.confidence,
        sentiment_score=score,
        priority=priority.priority,
        priority_reason=priority.reason[:300],
        tags=[tag[:50] for tag in dict.fromkeys(result.tags)][:MAX_TAGS],
        language=(result.language or "")[:8],
        churn_signal=bool(result.churn_signal),
        competitors=[name[:50] for name in result.competitors],
        jtbd=result.jtbd or "",
        summary=(result.summary or "")[:300],
        notes="; ".join(notes),
        **values,
    )
    apply_sentiment(item=record, score=score)  # the label follows the score, as on items
    return record


def _person_severity(item: FeedbackItem) -> str:
    """The severity a person set on ``item`` ("" when triage's is to be used)."""
    return item.severity if "severity" in item.human_fields and item.severity else ""


def _apply(item: FeedbackItem, record: TriageRecord, *, ai_set: set[str]) -> list[str]:
    """Write ``record``'s values on ``item`` as its outcome allows; the names of the fields written.

    Never a field a person set (``human_fields``); the summary only when empty; the sentiment only when the item
    has none yet (a score its source sent is kept) or triage set it before (``ai_set``, on a forced re-triage).
    Needs review: only the language. Shadow: nothing.
    """
    if item.sentiment_score is not None:  # whatever the outcome, a stored score's label follows it (not an AI value)
        apply_sentiment(item=item, score=item.sentiment_score)
    if record.outcome == TriageRecord.Outcome.SHADOW:
        return []
    names = ["language"] if record.outcome == TriageRecord.Outcome.NEEDS_REVIEW else list(HUMAN_FIELDS)
    written = []
    for name in names:
        if name in item.human_fields:
            continue
        if name == "summary" and (item.summary and "summary" not in ai_set or not record.summary):
            continue
        if name == "sentiment_score":
            if item.sentiment_score is not None and "sentiment_score" not in ai_set:
                continue  # the score its source sent
            apply_sentiment(item=item, score=record.sentiment_score)
        else:
            setattr(item, name, getattr(record, name))
        written.append(name)
    return written


def _fields_set_by_triage(ids: list[int]) -> dict[int, set[str]]:
    """The fields the latest applied triage wrote, per item (one query, served by ``triage_feedback_idx``)."""
    rows = (
        TriageRecord.objects.filter(feedback_id__in=ids, outcome=TriageRecord.Outcome.APPLIED)
        .order_by("feedback_id", "-created_at", "-id")
        .distinct("feedback_id")
        .values_list("feedback_id", "applied_fields")
    )
    return {pk: set(fields) for pk, fields in rows}


def _send_theme_matching(item_ids: list[int]) -> None:
    """Ask the themes app to match the triaged items to existing themes (by task name; a broker failure is logged)."""
    try:
        current_app.send_task(MATCH_THEMES_TASK, kwargs={"item_ids": item_ids})
    except Exception:  # noqa: BLE001 - the triage is committed; a lost match is redone by the themes' own sweep
        log.warning("Could not queue theme matching for %s triaged item(s).", len(item_ids), exc_info=True)


def _suggest_duplicates(item_ids: list[int]) -> None:
    """Suggest duplicates and related items for the items just triaged, from the vectors stored in the batch
    (``feedback.duplicates``: a PM confirms or rejects each suggestion)."""
    duplicates.suggest_duplicates(item_ids=item_ids)


# --- The offline classifier: the active trained version, loaded once per process per version ----------------------

_loaded: dict[int, str | None] = {}
_loaded_lock = threading.Lock()


def use_active_classifier(provider) -> str | None:
    """Load the active ``ClassifierVersion`` into ``provider`` unless this process loaded it already (none active:
    the shipped default, ``ai.classifier.default``); the version in use. A provider without a trainable classifier
    (Mistral) has it loaded into the offline provider it falls back to. One small query per call; the blob is read
    only when the version changed."""
    if not hasattr(provider, "load_classifier"):
        fallback = getattr(provider, "offline", None)  # Mistral falls back to the offline one: it gets the PMs' model
        return use_active_classifier(fallback()) if callable(fallback) else None
    active = ClassifierVersion.objects.filter(active=True).values_list("pk", "version").first()
    wanted = active[1] if active else None
    with _loaded_lock:
        if id(provider) in _loaded and _loaded[id(provider)] == wanted:
            return wanted
        if active:
            blob = bytes(ClassifierVersion.objects.filter(pk=active[0]).values_list("blob", flat=True).get())
        else:
            from ai import classifier

            blob = classifier.default().to_bytes()
        provider.load_classifier(blob)
        _loaded[id(provider)] = wanted
    return wanted


split_transcript = transcripts.split_transcript  # one name for the whole triage API (``feedback.triage``)
