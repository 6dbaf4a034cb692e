"""Feedback business logic: status workflow, duplicates, theme links, customer attribution, embeddings (the AI triage
is ``feedback.triage``).

Every door (admin forms, list edits, bulk actions, API, imports, tasks) changes feedback through these functions.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count, Exists, Func, OuterRef, Q, QuerySet, TextField, Value
from django.db.models.functions import Cast
from django.utils import timezone
from pgvector.django import CosineDistance, VectorField

from ai.providers.base import EmbeddingProvider
from customers.models import Customer
from feedback import maturity, overrides
from feedback.choices import STATUS_TRANSITIONS, Sentiment, Status
from feedback.models import DuplicateSuggestion, EmbeddingSpace, FeedbackEmbedding, FeedbackItem, Merge
from feedback.overrides import HUMAN_FIELDS
from feedbackhub import events

# Domain event: these items' triage fields were set, by the AI triage (one per applied batch) or by a person through
# any door (``save_feedback``): {"item_ids": [...]}. The outbound rules act on it (``integrations.outbound``).
TRIAGED_EVENT = "feedback.triaged"
RULE_FIELDS = ("category", "priority", "product")  # what the outbound rules' conditions read


def apply_sentiment(*, item: FeedbackItem, score: float | None) -> None:
    """Set ``item``'s sentiment score and the label that follows from it (seed 002's bands); unsaved."""
    item.sentiment_score = score
    item.sentiment_label = Sentiment.for_score(score) if score is not None else ""


@transaction.atomic
def save_feedback(*, item: FeedbackItem, created: bool, user=None) -> FeedbackItem:
    """Save ``item`` as a person filled it in (form, grid, API, import); the fields with rules change through their
    services.

    Plain fields are saved as given. The status (workflow), the duplicate link (one level deep), the customer
    (rollups go stale) and the sentiment label (follows the score) go through ``change_status``, ``mark_duplicate``
    / ``unmark_duplicate``, ``assign_customer`` and ``apply_sentiment``. A new item starts as given but unlinked,
    then is linked through ``mark_duplicate``. The triage fields the person changed become theirs, each one the AI
    had set logged as an override (``overrides.record_human_changes``; ``user`` is who). Every door that saves a
    whole item (admin form, grid, API, import) calls this. Its maturity (``feedback.maturity``) is stamped when it is
    created, and again when its date, customer or feature changes.
    """
    apply_sentiment(item=item, score=item.sentiment_score)
    original = item.duplicate_of if item.duplicate_of_id else None
    if created:
        _stamp_maturity(item)
        item.duplicate_of = None
        item.save(force_insert=True)
        if original is not None:
            mark_duplicate(item=item, original=original)
        overrides.record_human_changes(item=item, before=None, user=user)
        if any(getattr(item, name) for name in RULE_FIELDS):
            _announce_triaged(item)
        return item
    saved = (
        FeedbackItem.objects.select_for_update()
        .only("status", "duplicate_of", "customer", "received_at", "feature", *HUMAN_FIELDS)
        .get(pk=item.pk)
    )
    before = {name: getattr(saved, name) for name in HUMAN_FIELDS}
    if (saved.received_at, saved.customer_id, saved.feature) != (item.received_at, item.customer_id, _feature(item)):
        _stamp_maturity(item)
    status, customer = item.status, item.customer
    item.status, item.duplicate_of_id, item.customer_id = saved.status, saved.duplicate_of_id, saved.customer_id
    item.save()
    change_status(item=item, status=status)
    assign_customer(item=item, customer=customer)
    if original is None:
        unmark_duplicate(item=item)
    elif original.pk != saved.duplicate_of_id:
        mark_duplicate(item=item, original=original)
    overrides.record_human_changes(item=item, before=before, user=user)
    if any(before[name] != getattr(item, name) for name in RULE_FIELDS):
        _announce_triaged(item)
    return item


def _announce_triaged(item: FeedbackItem) -> None:
    """A person set the fields the outbound rules read: the same event as the AI triage's, for this one item."""
    events.emit(TRIAGED_EVENT, key=f"{TRIAGED_EVENT}:person:{item.pk}:{timezone.now().isoformat()}", item_ids=[item.pk])


def _feature(item: FeedbackItem) -> str:
    """The item's feature (a new item not given one holds the column's database default, not a text)."""
    return item.feature if isinstance(item.feature, str) else ""


def _stamp_maturity(item: FeedbackItem) -> None:
    """Set ``item``'s maturity fields from its date, customer and feature (``feedback.maturity``); unsaved."""
    stamp = maturity.stamp(received_at=item.received_at, customer=item.customer_id, feature=_feature(item))
    for name, value in stamp.items():
        setattr(item, name, value)


def allowed_statuses(*, current: str) -> set[str]:
    """The statuses an item in ``current`` may move to (the workflow of ``STATUS_TRANSITIONS``)."""
    return set(STATUS_TRANSITIONS[Status(current)])


def check_status_change(*, item: FeedbackItem, status: str) -> None:
    """Raise ValidationError naming the allowed moves if ``item`` may not move to ``status``."""
    if status == item.status:
        return
    allowed = allowed_statuses(current=item.status)
    if status not in allowed:
        names = ", ".join(sorted(Status(value).label for value in allowed))
        raise ValidationError(
            f"Cannot move feedback from {Status(item.status).label} to {Status(status).label}; allowed: {names}.",
            code="status_transition",
        )


def change_status(*, item: FeedbackItem, status: str) -> FeedbackItem:
    """Move ``item`` to ``status`` if the workflow allows it; raise ValidationError naming the allowed moves."""
    check_status_change(item=item, status=status)
    if status == item.status:
        return item
    item.status = status
    item.save(update_fields=["status", "updated_at"])
    return item


@dataclass(frozen=True)
class BulkStatusResult:
    """What a bulk move did: items moved, and items left where they were, by their status."""

    moved: int
    refused: dict[str, int]


def change_status_bulk(*, items: QuerySet[FeedbackItem], status: str) -> BulkStatusResult:
    """Move every item of ``items`` the workflow allows to ``status``, with one UPDATE per current status.

    Items whose status may not move there stay put and are counted in ``refused`` by their status.
    """
    moved, refused = 0, {}
    with transaction.atomic():
        by_status = items.order_by().values_list("status").annotate(count=Count("id"))
        for current, count in by_status:
            if current == status:
                continue
            if status in allowed_statuses(current=current):
                moved += FeedbackItem.objects.filter(
                    pk__in=items.order_by().filter(status=current).values("pk"), status=current
                ).update(status=status, updated_at=timezone.now())
            else:
                refused[current] = count
    return BulkStatusResult(moved=moved, refused=refused)


# What a shipped theme moves: every open item. Won't do stays (somebody decided that item was not to be done, and
# a theme shipping does not overrule them); shipped stays.
OPEN_STATUSES = (Status.NEW, Status.REVIEWING, Status.VALIDATED, Status.BUILDING)


def ship_feedback(*, items: QuerySet[FeedbackItem]) -> int:
    """Move the open items of ``items`` to Shipped in one UPDATE; returns how many moved.

    The status workflow (``STATUS_TRANSITIONS``) is for a person moving one item a step at a time; shipping the work
    the item asked for is the decision that closes it, from wherever it stands (the close-the-loop job calls this).
    One statement, so the history trigger and the indexes are written once per item, not once per workflow step.
    """
    return FeedbackItem.objects.filter(pk__in=items.order_by().values("pk"), status__in=OPEN_STATUSES).update(
        status=Status.SHIPPED, updated_at=timezone.now()
    )


def duplicate_root(*, item: FeedbackItem, original: FeedbackItem) -> FeedbackItem:
    """The item ``item`` ends up a duplicate of when linked to ``original`` (chains stay one level deep).

    Raises ValidationError if that would make ``item`` a duplicate of itself.
    """
    root = original.duplicate_of if original.duplicate_of_id else original
    if root.pk == item.pk:
        raise ValidationError("A feedback item cannot be a duplicate of itself.", code="own_duplicate")
    return root


def mark_duplicate(*, item: FeedbackItem, original: FeedbackItem) -> FeedbackItem:
    """Link ``item`` to ``original`` (following the original's own link, so chains stay one level deep).

    Items that were duplicates of ``item`` move to the same root. Theme rollups of both sides go stale.
    """
    root = duplicate_root(item=item, original=original)
    with transaction.atomic():
        item.duplicate_of = root
        item.save(update_fields=["duplicate_of", "updated_at"])
        FeedbackItem.objects.filter(duplicate_of=item).update(duplicate_of=root, updated_at=timezone.now())
        mark_rollups_stale(item_ids=[item.pk, root.pk])
    return item


def unmark_duplicate(*, item: FeedbackItem) -> FeedbackItem:
    """Make ``item`` an original again."""
    if item.duplicate_of_id is None:
        return item
    with transaction.atomic():
        item.duplicate_of = None
        item.save(update_fields=["duplicate_of", "updated_at"])
        mark_rollups_stale(item_ids=[item.pk])
    return item


def assign_customer(*, item: FeedbackItem, customer: Customer | None) -> FeedbackItem:
    """Attribute ``item`` to ``customer`` (or to nobody); the rollups of its themes go stale."""
    if item.customer_id == (customer.pk if customer else None):
        return item
    with transaction.atomic():
        item.customer = customer
        _stamp_maturity(item)  # its maturity is the new customer's (a capture matched later, a forum author)
        item.save(update_fields=["customer", "updated_at", *maturity.STAMP_FIELDS])
        mark_rollups_stale(item_ids=[item.pk])
    return item


def assign_customer_many(*, items: QuerySet[FeedbackItem], customer: Customer | None) -> int:
    """``assign_customer`` for many items at once (a community author matched to an account): the customer set, the
    maturity stamped again for it (one query per batch), the themes' rollups stale. Returns how many changed."""
    changing = items.exclude(customer=customer) if customer is not None else items.exclude(customer__isnull=True)
    ids = list(changing.values_list("pk", flat=True))
    if not ids:
        return 0
    with transaction.atomic():
        FeedbackItem.objects.filter(pk__in=ids).update(customer=customer, updated_at=timezone.now())
        for start in range(0, len(ids), 1000):
            maturity.stamp_items(
                list(
                    FeedbackItem.objects.filter(pk__in=ids[start : start + 1000]).only(
                        "customer", "feature", "received_at", *maturity.STAMP_FIELDS
                    )
                )
            )
        mark_rollups_stale(item_ids=ids)
    return len(ids)


def set_themes(*, item: FeedbackItem, themes: Iterable) -> FeedbackItem:
    """Link ``item`` to exactly ``themes``; the rollups of the themes linked or unlinked go stale."""
    wanted = {theme.pk for theme in themes}
    with transaction.atomic():
        current = set(item.themes.values_list("pk", flat=True))
        if wanted == current:
            return item
        item.themes.set(wanted)
        _theme_model().objects.filter(pk__in=wanted ^ current).update(rollups_dirty=True)
    return item


@transaction.atomic
def merge_duplicates(*, parent: FeedbackItem, items: Iterable[FeedbackItem], user=None) -> Merge:
    """Make ``items`` duplicates of ``parent``; the parent gains their themes. Recorded so ``undo_merge`` can undo it.

    Items that were duplicates of a merged item follow it to the parent (chains stay one level deep).
    """
    if parent.duplicate_of_id is not None:
        raise ValidationError(
            f"“{parent}” is itself a duplicate of #{parent.duplicate_of_id}: merge into that original instead.",
            code="parent_is_duplicate",
        )
    merged = [item for item in items if item.pk != parent.pk]
    if not merged:
        raise ValidationError("Select at least one item besides the parent to merge into it.", code="nothing_to_merge")
    ids = [item.pk for item in merged]
    moved = dict(
        FeedbackItem.objects.select_for_update()
        .filter(Q(pk__in=ids) | Q(duplicate_of_id__in=ids))
        .exclude(pk=parent.pk)
        .values_list("pk", "duplicate_of_id")
    )
    parent_themes = sorted(parent.themes.values_list("pk", flat=True))
    gained = set(FeedbackItem.themes.through.objects.filter(feedbackitem_id__in=ids).values_list("theme_id", flat=True))
    for item in merged:
        item.refresh_from_db(fields=["duplicate_of"])
        mark_duplicate(item=item, original=parent)
    set_themes(item=parent, themes=_theme_model().objects.filter(pk__in=set(parent_themes) | gained))
    return Merge.objects.create(
        parent=parent,
        merged_by=user,
        before={"items": {str(pk): original for pk, original in moved.items()}, "parent_themes": parent_themes},
    )


@dataclass(frozen=True)
class UndoResult:
    """What an undo restored, and what it left because it changed since the merge."""

    restored: int
    skipped: list[int]


@transaction.atomic
def undo_merge(*, merge: Merge, user=None) -> UndoResult:
    """Put every item back where it was before ``merge``, and the parent's themes as they were.

    An item linked elsewhere since the merge is left as it is now (and named in ``skipped``): undo never overwrites
    a later change.
    """
    merge = Merge.objects.select_for_update().get(pk=merge.pk)
    if merge.undone_at is not None:
        raise ValidationError("This merge was already undone.", code="already_undone")
    restored, skipped = 0, []
    for pk, original in merge.before.get("items", {}).items():
        changed = FeedbackItem.objects.filter(pk=int(pk), duplicate_of_id=merge.parent_id).update(
            duplicate_of_id=original, updated_at=timezone.now()
        )
        if changed:
            restored += 1
        else:
            skipped.append(int(pk))
    mark_rollups_stale(item_ids=[merge.parent_id, *(int(pk) for pk in merge.before.get("items", {}))])
    parent = merge.parent
    set_themes(item=parent, themes=_theme_model().objects.filter(pk__in=merge.before.get("parent_themes", [])))
    merge.undone_at, merge.undone_by = timezone.now(), user
    merge.save(update_fields=["undone_at", "undone_by"])
    # A suggestion this merge confirmed is open again, whichever page undid it (the merge's or the queue's).
    DuplicateSuggestion.objects.filter(merge=merge).update(
        decision=DuplicateSuggestion.Decision.PENDING, merge=None, decided_by=None, decided_at=None
    )
    return UndoResult(restored=restored, skipped=skipped)


def add_theme(*, items: QuerySet[FeedbackItem] | Iterable[FeedbackItem], theme) -> int:
    """Link ``theme`` to every item of ``items`` (those already linked stay as they are); returns links added."""
    ids = [item.pk for item in items]
    through = FeedbackItem.themes.through
    with transaction.atomic():
        existing = set(
            through.objects.filter(theme_id=theme.pk, feedbackitem_id__in=ids).values_list("feedbackitem_id", flat=True)
        )
        links = [through(feedbackitem_id=pk, theme_id=theme.pk) for pk in ids if pk not in existing]
        through.objects.bulk_create(links, ignore_conflicts=True)
        if links:
            _theme_model().objects.filter(pk=theme.pk).update(rollups_dirty=True)
    return len(links)


def delete_feedback(*, items: Iterable[FeedbackItem]) -> int:
    """Delete ``items`` (their duplicates become originals); the rollups of the themes touched go stale."""
    ids = [item.pk for item in items]
    with transaction.atomic():
        orphans = list(FeedbackItem.objects.filter(duplicate_of_id__in=ids).values_list("pk", flat=True))
        mark_rollups_stale(item_ids=[*ids, *orphans])
        _, per_model = FeedbackItem.objects.filter(pk__in=ids).delete()
    return per_model.get(FeedbackItem._meta.label, 0)


def mark_rollups_stale(*, item_ids: Iterable[int]) -> int:
    """Flag the themes linked to ``item_ids`` for the rollup batch job (themes.tasks); returns themes flagged."""
    links = FeedbackItem.themes.through.objects.filter(feedbackitem_id__in=list(item_ids)).values("theme_id")
    return _theme_model().objects.filter(pk__in=links, rollups_dirty=False).update(rollups_dirty=True)


def _theme_model():
    """The theme model, reached through our own relation (feedback sits below themes and does not import it)."""
    return FeedbackItem.themes.field.related_model


def active_embedding_space(*, provider: EmbeddingProvider | None = None) -> EmbeddingSpace:
    """The vector space of ``provider`` (its name, model, dimensions), or of the configured one; created on first use.

    Without a provider it is ``settings.EMBEDDING_SPACE``, the space of ``settings.AI_PROVIDER``, so reads never load
    a model.
    """
    if provider is not None:
        spec = {"provider": provider.name, "model": provider.model, "dimensions": provider.dimensions}
    else:
        spec = settings.EMBEDDING_SPACE
    space, _ = EmbeddingSpace.objects.get_or_create(
        provider=spec["provider"], model=spec["model"], dimensions=spec["dimensions"]
    )
    return space


def embedding_text(item: FeedbackItem) -> str:
    """The text that is embedded for an item."""
    return item.verbatim.strip()


# The characters ``str.strip()`` removes (``str.isspace``), so SQL's ``btrim`` gives the text ``embedding_text`` does.
STRIPPED = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


def content_hash(text: str) -> str:
    """Fingerprint of embedded text: a changed text needs a new vector."""
    return hashlib.sha256(text.encode()).hexdigest()


def content_hash_sql(verbatim) -> Func:
    """``content_hash(embedding_text(item))`` computed by PostgreSQL from the ``verbatim`` expression."""
    text = Func(verbatim, Value(STRIPPED), function="btrim", output_field=TextField())
    digest = Func(Func(text, Value("UTF8"), function="convert_to"), function="sha256")
    return Func(digest, Value("hex"), function="encode", output_field=TextField())


def store_embedding(*, item: FeedbackItem, vector: Sequence[float], space: EmbeddingSpace) -> FeedbackEmbedding:
    """Save ``item``'s vector in ``space`` (replacing an older one); the vector must have the space's size."""
    if len(vector) != space.dimensions:
        raise ValidationError(f"A {space} vector needs {space.dimensions} numbers, got {len(vector)}.")
    embedding, _ = FeedbackEmbedding.objects.update_or_create(
        feedback=item,
        space=space,
        defaults={
            "vector": list(vector),
            "dimensions": space.dimensions,
            "content_hash": content_hash(embedding_text(item)),
            "received_at": item.received_at,  # windowed lookups filter on the row itself (similar_feedback)
        },
    )
    return embedding


def items_needing_embedding(*, space: EmbeddingSpace):
    """Items with no vector of their current text in ``space``: new or edited items, and after a provider switch
    every item (the re-embedding backlog)."""
    current = FeedbackEmbedding.objects.filter(
        feedback=OuterRef("pk"), space=space, content_hash=content_hash_sql(OuterRef("verbatim"))
    )
    return FeedbackItem.objects.exclude(Exists(current)).order_by("id")


def embed_pending(
    *, provider: EmbeddingProvider, batch_size: int = 64, limit: int | None = None, leave_to_triage: bool = False
) -> int:
    """Embed every item needing it (``items_needing_embedding``) into ``provider``'s space; returns items embedded.

    ``leave_to_triage`` (the periodic backfill) skips the items not triaged yet: their triage embeds them, and a
    backfill running beside an ingest burst would embed the same new items a second time (seen in the cluster test:
    one worker embedding for ten minutes what the triage of the others embedded too).

    Works in batches of ``batch_size`` in id order, each stored in its own transaction, so a run that stops keeps
    what it stored and the next run goes on from there. An item edited while it was embedded keeps the hash of the
    text embedded, so the next run embeds it again. ``limit`` caps one run.
    """
    space = active_embedding_space(provider=provider)
    done, last_id = 0, 0
    while limit is None or done < limit:
        size = batch_size if limit is None else min(batch_size, limit - done)
        pending = items_needing_embedding(space=space).filter(pk__gt=last_id)
        if leave_to_triage:
            pending = pending.filter(triaged_at__isnull=False)
        batch = list(pending.only("pk", "verbatim", "received_at")[:size])
        if not batch:
            break
        vectors = provider.embed([embedding_text(item) for item in batch])
        with transaction.atomic():
            for item, vector in zip(batch, vectors, strict=True):
                store_embedding(item=item, vector=vector, space=space)
        done, last_id = done + len(batch), batch[-1].pk
    return done


# The HNSW lookup's search settings, measured by bench/duplicates.py on 1M × 384-d vectors (see its docstring):
# ef_search 40 / 100 / 200 / 300 gave recall@10 0.92 / 0.93 / 0.94 / 0.953 (all items) and 0.93 / 0.94 / 0.95 / 0.961
# (30-day window); at 300 p95 was 7.9 ms (all) and 7.4 ms (30 days) on a quiet machine, 400 added latency and no
# recall. The lookup runs in the triage task, off the request path, so completeness wins.
HNSW_EF_SEARCH = 300  # candidates kept while walking the graph: recall against latency
HNSW_MAX_SCAN_TUPLES = 20_000  # a windowed (filtered) scan gives up after this many rows: bounds the worst case


def similar_feedback(
    *,
    vector: Sequence[float],
    space: EmbeddingSpace,
    limit: int = 10,
    within_days: int | None = None,
    until: datetime | None = None,
    exclude_id: int | None = None,
) -> list[tuple[int, float]]:
    """Ids and cosine similarity of the items nearest to ``vector`` in ``space`` (never across spaces), nearest first.

    ``within_days`` keeps the items received in the ``within_days`` days up to ``until`` (default now), both ends
    included. The query uses the space's partial HNSW index (same cast, same ``dimensions`` condition) and filters
    on the vector row's own ``received_at`` (no join). A filter makes a plain HNSW scan return too few rows (it stops
    after ``ef_search`` candidates, most outside the window), so a windowed lookup turns on pgvector's iterative
    scan (``relaxed_order``: it goes on walking the graph until ``limit`` rows pass), then re-orders what it got
    (relaxed order may return a near row after a farther one). The settings are undone right after (a rolled-back
    savepoint or transaction).
    """
    if len(vector) != space.dimensions:
        raise ValidationError(f"A {space} query vector needs {space.dimensions} numbers, got {len(vector)}.")
    cast = Cast("vector", output_field=VectorField(dimensions=space.dimensions))
    rows = FeedbackEmbedding.objects.filter(space=space, dimensions=space.dimensions)
    if within_days is not None:
        end = until or timezone.now()
        rows = rows.filter(received_at__gte=end - timedelta(days=within_days), received_at__lte=end)
    if exclude_id is not None:
        rows = rows.exclude(feedback_id=exclude_id)
    rows = (
        rows.annotate(distance=CosineDistance(cast, list(vector)))
        .order_by("distance")
        .values_list("feedback_id", "distance")[:limit]
    )
    search = {"hnsw.ef_search": str(max(HNSW_EF_SEARCH, limit))}
    if within_days is not None:
        search |= {"hnsw.iterative_scan": "relaxed_order", "hnsw.max_scan_tuples": str(HNSW_MAX_SCAN_TUPLES)}
    with transaction.atomic(), connection.cursor() as cursor:  # a read: rolled back, which undoes the settings
        cursor.execute(
            "SELECT " + ", ".join(["set_config(%s, %s, true)"] * len(search)),
            [value for pair in search.items() for value in pair],
        )
        found = sorted(rows, key=lambda row: row[1])
        transaction.set_rollback(True)
    return [(pk, 1.0 - distance) for pk, distance in found]


# ``similar_feedback`` for many items in one statement: each item's own stored vector (no vector leaves the database),
# then, per item (LATERAL), the very lookup ``similar_feedback`` makes: the same partial HNSW index, the same
# filters on the vector row, ``limit`` rows in the index's order, numbered so ties keep that order.
SIMILAR_MANY_SQL = """
SELECT query.feedback_id, near.feedback_id, near.distance, near.rank
FROM unnest(%s::bigint[], %s::timestamptz[], %s::timestamptz[]) AS query(feedback_id, since, until)
JOIN {table} AS probe ON probe.feedback_id = query.feedback_id AND probe.space_id = %s
CROSS JOIN LATERAL (
    SELECT nearest.feedback_id, nearest.distance, row_number() OVER () AS rank
    FROM (
        SELECT {table}."feedback_id", ({table}."vector")::vector({dimensions}) <=> probe.vector AS distance
        FROM {table}
        WHERE {table}."space_id" = %s AND {table}."dimensions" = {dimensions}
            AND {table}."received_at" >= query.since AND {table}."received_at" <= query.until
            AND NOT ({table}."feedback_id" = query.feedback_id)
        ORDER BY 2
        LIMIT %s
    ) AS nearest
) AS near
"""


def similar_feedback_for_items(
    *, items: Sequence[tuple[int, datetime | None]], space: EmbeddingSpace, limit: int = 10, within_days: int
) -> dict[int, list[tuple[int, float]]]:
    """``similar_feedback`` of each item's stored vector in ``space``, windowed on the ``within_days`` days up to
    its date and excluding itself, for many items in one round trip: {item id: [(id, cosine similarity), ...]}.

    The same results as one ``similar_feedback(vector=<its vector>, space=space, limit=limit,
    within_days=within_days, until=<its date>, exclude_id=<its id>)`` per item (same index, same search settings,
    same window bounds, same order); an item without a vector in ``space`` maps to no rows.
    """
    found: dict[int, list[tuple[int, float]]] = {pk: [] for pk, _ in items}
    if not items:
        return found
    now = timezone.now()
    ids, since, until = [], [], []
    for pk, received_at in items:
        end = received_at or now
        ids.append(pk)
        since.append(end - timedelta(days=within_days))
        until.append(end)
    table = connection.ops.quote_name(FeedbackEmbedding._meta.db_table)
    sql = SIMILAR_MANY_SQL.format(table=table, dimensions=int(space.dimensions))
    search = {
        "hnsw.ef_search": str(max(HNSW_EF_SEARCH, limit)),
        "hnsw.iterative_scan": "relaxed_order",
        "hnsw.max_scan_tuples": str(HNSW_MAX_SCAN_TUPLES),
    }
    with transaction.atomic(), connection.cursor() as cursor:  # a read: rolled back, which undoes the settings
        cursor.execute(
            "SELECT " + ", ".join(["set_config(%s, %s, true)"] * len(search)),
            [value for pair in search.items() for value in pair],
        )
        cursor.execute(sql, [ids, since, until, space.pk, space.pk, limit])
        rows = cursor.fetchall()
        transaction.set_rollback(True)
    by_item: dict[int, list[tuple[int, int, float]]] = {}
    for item_id, pk, distance, rank in rows:
        by_item.setdefault(item_id, []).append((rank, pk, distance))
    for item_id, nearest in by_item.items():
        nearest.sort()  # the index's order, then (stable) by distance, as ``similar_feedback`` re-orders
        found[item_id] = [(pk, 1.0 - distance) for _, pk, distance in sorted(nearest, key=lambda row: row[2])]
    return found
