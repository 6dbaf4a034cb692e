"""Ask the hub, retrieval (issue 13): the feedback items that answer a question, best first, and how strong the
evidence is. ``insights.ask`` writes the answer from what this returns; ``manage.py evaluate_ask`` measures it.

**Scoring: plain cosine** between the question's vector and each item's stored vector (the active space, never across
spaces). What was tried and not adopted, measured on banking77 (``ai/eval_data/banking77/README.md``): neighbourhood
smoothing of the scores (each item's 20–50 nearest neighbours; +.016–.024 nDCG@10 on all 77 intents, but +.002 when
its parameters are chosen on half the intents and measured on the other half), label-free cluster ("theme") blending
(score = (1-a) cos(q, d) + a cos(q, centroid of d's k-means cluster): +.012 at best on all intents, +.002 nested),
query templates, Rocchio, centring, CSLS and a BM25 rank fusion (lower). None beat plain cosine on held-out intents
beyond noise, and each would cost either stored state or query-time work, so the hub keeps plain cosine.

**Evidence strength** is the best cosine among the hits that pass the filters: a question nothing in the (filtered)
feedback is close to gets a low strength and ``abstain`` (the answer says "not enough evidence"). Narrowing the
filters never raises it. ``ABSTAIN_BELOW`` (0.51) is ``ai.abstention.choose_threshold`` on banking77's split a asked
in three question templates (the midpoint .514 between the highest off-topic and the lowest on-topic best cosine,
.463 / .564); it is checked on split b, on four other templates and on the demo feedback
(``ai/eval_data/ask_phrasing/README.md``, which also says why a z-score against the question's background is not used).

**How a lookup runs** (measured at 1M items by ``bench/ask.py``):

- Everything goes through one SQL statement on ``feedback_feedbackembedding``, ordered by the cosine distance.
  Segment and product filters read the vector row's own copies of its item's customer and product
  (``feedback.vector_filters``, kept by triggers): an EXISTS on the row's customer by primary key and
  ``e.product = …``, no item read per index tuple. While a space still
  has rows stored before the copies (``product`` NULL, until ``backfill_vector_filters`` has run) they join the
  item and its customer instead, as before: slower, the same answer. A theme joins its links; the community
  segment joins the item (its source).
- By default the space's partial HNSW index answers it, with pgvector's iterative scan (``relaxed_order``): the
  index walk goes on until ``limit`` rows pass the filters (or ``MAX_SCAN_TUPLES`` were read), then the rows are
  re-ordered by their exact distance. Dates filter on the vector row's own ``received_at``, no join.
- A theme filter is counted first (its links are indexed by theme): a theme of at most ``EXACT_SCAN_MAX`` items is
  scanned exactly (each of its items' distance computed, no index): exact results, and cheaper than walking the
  graph past the ~99 % of items outside the theme.
- A segment or product filter (with or without dates) is first sized by the planner's estimate (EXPLAIN of the
  items-side query, ~1 ms): estimated at most ``EXACT_SCAN_MAX`` items, the vector rows are found by their
  (customer_id, product, received_at) or (product, received_at) index and scored exactly (before the copies are
  complete: their ids are read from the items' side first); a walk through the index would have to read ~limit ÷
  share rows (0.3 % of 1M: ~16,000 tuples, 300-400 ms measured). Broader filters walk the index.
- When the index walk returns fewer than ``limit`` rows, the filters are selective (they passed fewer than ``limit``
  of the ``MAX_SCAN_TUPLES`` rows read) or the filtered set is small. The filtered items' ids are then read from
  the items' side (up to ``EXACT_SCAN_MAX + 1``): at most that many, their vectors are scored exactly; more, the
  walk is run again with ten times the tuples. So a selective segment is never answered short, and no fallback
  scans a large set, with one exception: a walk still short after that (it cannot leave a tight group of
  near-identical vectors whose links all point at one another; on the bench's 1M perturbed copies, 2 questions in 200)
  computes every filtered distance, in parallel (~0.5 s at 1M, plan "exact (walk short)").
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import connection, transaction
from django.utils import timezone

from ai.providers import get_provider
from customers.models import Customer
from feedback.choices import COMMUNITY_SOURCES
from feedback.models import EmbeddingSpace, FeedbackEmbedding, FeedbackItem
from feedback.services import active_embedding_space
from feedback.vector_filters import copies_complete


@dataclass(frozen=True)
class AskFilters:
    """What a question is narrowed to. Empty means no narrowing. ``segment`` is customer attributes by name
    (industry, region, tier, lifecycle_stage, plan) or ``{"community": True}`` for community authors."""

    segment: dict[str, str] = field(default_factory=dict)
    product: str = ""
    theme_id: int | None = None
    since: date | None = None
    until: date | None = None


@dataclass(frozen=True)
class Hit:
    item_id: int
    score: float


@dataclass(frozen=True)
class Retrieval:
    hits: list[Hit]
    strength: float  # how well the best evidence answers the question; below ``ABSTAIN_BELOW`` the answer abstains
    abstain: bool
    plan: str = ""  # how the lookup ran: "hnsw", "exact theme", "exact fallback" (benches and the evaluation print it)


ABSTAIN_BELOW = 0.51
MAX_LIMIT = 200
SEGMENT_FIELDS = ("industry", "region", "tier", "lifecycle_stage", "plan")
EF_SEARCH = 200  # candidates kept per step of the graph walk; ≥ limit (bench/ask.py: recall against latency)
MAX_SCAN_TUPLES = 20_000  # a filtered walk gives up after this many index rows: bounds the worst case
EXACT_SCAN_MAX = 20_000  # a theme with at most this many items is scanned exactly instead of through the index


def retrieve(
    question: str, *, filters: AskFilters | None = None, limit: int = 50, space: EmbeddingSpace | None = None
) -> Retrieval:
    """The items that answer ``question`` within ``filters``, best first (at most ``limit``).

    ``space`` defaults to the configured provider's active space (``evaluate_ask`` passes its scratch space).
    """
    if not question.strip():
        raise ValueError("Ask a question: the text is empty.")
    provider = get_provider()
    space = space or active_embedding_space(provider=provider)
    if space.dimensions != provider.dimensions:
        raise ValueError(f"{space} holds {space.dimensions}-d vectors; the {provider.name} provider makes others.")
    vector = provider.embed([question.strip()])[0]
    return search(vector, space=space, filters=filters, limit=limit)


def search(vector, *, space: EmbeddingSpace, filters: AskFilters | None = None, limit: int = 50) -> Retrieval:
    """``retrieve`` for a question already embedded in ``space`` (the evaluation and the bench time the two apart)."""
    if len(vector) != space.dimensions:
        raise ValueError(f"A {space} query vector needs {space.dimensions} numbers, got {len(vector)}.")
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit must be between 1 and {MAX_LIMIT}, got {limit}.")
    filters = filters or AskFilters()
    copied = bool(filters.segment or filters.product) and copies_complete(space=space)
    joins, where, params = _conditions(filters, space=space, copied=copied)
    plan, found = "hnsw", None
    if filters.theme_id is not None and _theme_size(filters.theme_id) <= EXACT_SCAN_MAX:
        plan = "exact theme"
    elif (filters.segment or filters.product) and _estimated_items(filters) <= EXACT_SCAN_MAX:
        if copied:  # the vector rows carry the filters: their indexes find the rows, every distance computed
            plan = "exact filtered"
        else:
            ids = _filtered_item_ids(filters)  # the planner's guess said few: read them (a wrong guess walks instead)
            if len(ids) <= EXACT_SCAN_MAX:
                plan, found = "exact filtered", _exact_over(vector, ids, space=space, limit=limit)
    if found is None:
        found = _lookup(vector, space=space, joins=joins, where=where, params=params, limit=limit, exact=plan != "hnsw")
    if plan == "hnsw" and len(found) < limit:
        # Short: the walk read MAX_SCAN_TUPLES rows and fewer than ``limit`` passed the filters (selective filters, or
        # a region of the graph they exclude), or fewer rows qualify at all. Few filtered rows: compute them all;
        # many: walk again, further.
        ids = _filtered_item_ids(filters)
        if len(ids) <= EXACT_SCAN_MAX:
            plan, found = "exact fallback", _exact_over(vector, ids, space=space, limit=limit)
        else:
            plan = "hnsw wide"
            found = _lookup(
                vector,
                space=space,
                joins=joins,
                where=where,
                params=params,
                limit=limit,
                exact=False,
                scan_tuples=MAX_SCAN_TUPLES * 10,
            )
            if len(found) < limit:
                # Still short: the walk cannot leave the part of the graph it reached (a tight group of near-identical
                # vectors whose links all point at one another: measured on the bench's 1M, 1 % of questions got
                # 2-33 rows whatever ef_search or scan mode). Every filtered distance is computed, in parallel: slow
                # (~0.5 s at 1M), rare, and the answer is complete.
                plan = "exact (walk short)"
                found = _lookup(
                    vector, space=space, joins=joins, where=where, params=params, limit=limit, exact=True, parallel=True
                )
    hits = [Hit(pk, 1.0 - distance) for pk, distance in sorted(found, key=lambda row: (row[1], row[0]))]
    strength = hits[0].score if hits else 0.0
    return Retrieval(hits=hits, strength=strength, abstain=strength < ABSTAIN_BELOW, plan=plan)


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _conditions(
    filters: AskFilters, *, space: EmbeddingSpace, copied: bool | None = None
) -> tuple[list[str], list[str], list]:
    """The joins and WHERE conditions (with their parameters) that narrow the embedding rows ``e`` to ``filters``.

    ``copied`` (default: ``copies_complete``): every vector of the space carries its item's customer and product,
    so a segment is an EXISTS on the row's customer (its primary key: no item read per index tuple; an exact scan
    of a small segment starts from the segment's customers and their rows' (customer_id, product, received_at)
    index) and a product ``e.product = …`` on the row itself; otherwise (rows not backfilled yet) both join the item.
    Measured at 1M: ``e.customer_id = ANY(<the segment's ids>)`` instead cost more than the join for a 12 %
    segment (6,500 ids to fetch, plan and hash per question).
    """
    if copied is None:
        copied = bool(filters.segment or filters.product) and copies_complete(space=space)
    joins: list[str] = []
    where = ["e.space_id = %s", f"e.dimensions = {int(space.dimensions)}"]
    params: list = [space.pk]
    item_conditions: list[str] = []
    item_params: list = []
    customer_conditions: list[str] = []
    customer_params: list = []
    segment: dict[str, str] = {}
    for name, value in filters.segment.items():
        if name == "community":
            if value:
                item_conditions += ["i.customer_id IS NULL", "i.source = ANY(%s)"]
                item_params.append([str(source) for source in COMMUNITY_SOURCES])
        elif name in SEGMENT_FIELDS:
            segment[name] = str(value)
            customer_conditions.append(f"c.{name} = %s")
            customer_params.append(str(value))
        else:
            raise ValueError(f"Unknown segment attribute {name!r}: use {', '.join(SEGMENT_FIELDS)} or community.")
    if copied:
        customer_conditions, customer_params = [], []
        if segment:  # the row's customer, looked up by primary key (no item read); a small segment drives the scan
            where.append(
                f"EXISTS (SELECT 1 FROM {_table(Customer)} c WHERE c.id = e.customer_id AND "
                + " AND ".join(f"c.{name} = %s" for name in segment)
                + ")"
            )
            params.extend(segment.values())
        if filters.product:
            where.append("e.product = %s")
            params.append(filters.product)
    elif filters.product:
        item_conditions.append("i.product = %s")
        item_params.append(filters.product)
    if item_conditions or customer_conditions:
        joins.append(f"JOIN {_table(FeedbackItem)} i ON i.id = e.feedback_id")
    if customer_conditions:
        joins.append(f"JOIN {_table(Customer)} c ON c.id = i.customer_id")
    where += item_conditions + customer_conditions
    params += item_params + customer_params  # in the order of their placeholders
    if filters.theme_id is not None:
        links = _table(FeedbackItem.themes.through)
        joins.append(f"JOIN {links} t ON t.feedbackitem_id = e.feedback_id AND t.theme_id = %s")
        params.insert(0, filters.theme_id)  # the join's placeholder comes before the WHERE's in the statement
    if filters.since:
        where.append("e.received_at >= %s")
        params.append(_day_start(filters.since))
    if filters.until:
        where.append("e.received_at < %s")
        params.append(_day_start(filters.until + timedelta(days=1)))
    return joins, where, params


def _day_start(day: date) -> datetime:
    """Midnight starting ``day`` in the hub's time zone (the admin's dates are read there)."""
    return timezone.make_aware(datetime.combine(day, time.min))


def _theme_size(theme_id: int) -> int:
    """How many items the theme links, counted up to ``EXACT_SCAN_MAX + 1`` (an index-only scan of its links)."""
    links = _table(FeedbackItem.themes.through)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM {links} WHERE theme_id = %s LIMIT %s) AS linked",
            [theme_id, EXACT_SCAN_MAX + 1],
        )
        return cursor.fetchone()[0]


def _filtered_item_ids(filters: AskFilters) -> list[int]:
    """The ids of the items ``filters`` keep, up to ``EXACT_SCAN_MAX + 1``, read from the items' side (customer and
    theme indexes, no vector): measured at 1M, ~70 ms for a 3 % segment, where counting through the embedding rows
    took ~400 ms (the planner drove that join from the vectors). Serial: parallel workers cost more than they save
    here (a 0.4 % segment's ids: 41 → 31 ms)."""
    with transaction.atomic(), connection.cursor() as cursor:  # a read: rolled back, which undoes the setting
        cursor.execute("SELECT set_config('max_parallel_workers_per_gather', '0', true)")
        ids = list(_filtered_items(filters).values_list("pk", flat=True)[: EXACT_SCAN_MAX + 1])
        transaction.set_rollback(True)
    return ids


def _estimated_items(filters: AskFilters) -> int:
    """The planner's estimate of how many items ``filters`` keep (EXPLAIN, ~1 ms: nothing is read)."""
    sql, params = _filtered_items(filters).values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return int(plan[0]["Plan"]["Plan Rows"])


def _exact_over(vector, ids: list[int], *, space: EmbeddingSpace, limit: int) -> list[tuple[int, float]]:
    """The ``limit`` nearest of the items ``ids`` (which carry every filter), every distance computed."""
    where = ["e.space_id = %s", f"e.dimensions = {int(space.dimensions)}", "e.feedback_id = ANY(%s)"]
    return _lookup(vector, space=space, joins=[], where=where, params=[space.pk, ids], limit=limit, exact=True)


def _filtered_items(filters: AskFilters):
    """The items ``filters`` keep, as a queryset without order (the same rules as ``_conditions``' SQL)."""
    items = FeedbackItem.objects.all()
    for name, value in filters.segment.items():
        if name == "community":
            if value:
                items = items.filter(customer__isnull=True, source__in=COMMUNITY_SOURCES)
        else:
            items = items.filter(**{f"customer__{name}": value})
    if filters.product:
        items = items.filter(product=filters.product)
    if filters.theme_id is not None:
        items = items.filter(themes=filters.theme_id)
    if filters.since:
        items = items.filter(received_at__gte=_day_start(filters.since))
    if filters.until:
        items = items.filter(received_at__lt=_day_start(filters.until + timedelta(days=1)))
    return items.order_by()


def _lookup(
    vector, *, space, joins, where, params, limit: int, exact: bool, scan_tuples: int = 0, parallel: bool = False
) -> list[tuple[int, float]]:
    """(item id, cosine distance) of the ``limit`` nearest filtered rows: through the HNSW index, or exactly.

    The HNSW index is on ``vector::vector(<dimensions>)`` (partial on the dimensions); the exact lookup orders by the
    bare column instead, an expression no index serves, so PostgreSQL computes every filtered row's distance.
    """
    dimensions = int(space.dimensions)
    indexed = f"(e.vector)::vector({dimensions}) <=> %s::vector({dimensions})"
    distance = "e.vector <=> %s::vector" if exact else indexed
    sql = (
        f"SELECT e.feedback_id, {distance} AS distance FROM {_table(FeedbackEmbedding)} e {' '.join(joins)} "
        f"WHERE {' AND '.join(where)} ORDER BY distance LIMIT %s"
    )
    literal = "[" + ",".join(repr(float(x)) for x in vector) + "]"
    settings = {
        "hnsw.ef_search": str(max(EF_SEARCH, limit)),
        "hnsw.iterative_scan": "relaxed_order",
        "hnsw.max_scan_tuples": str(scan_tuples or MAX_SCAN_TUPLES),
    }
    if exact and not parallel:  # a few thousand rows: parallel workers cost more than they save (1M: 35 → 24 ms)
        settings["max_parallel_workers_per_gather"] = "0"
    with transaction.atomic(), connection.cursor() as cursor:  # a read: rolled back, which undoes the settings
        cursor.execute(
            "SELECT " + ", ".join(["set_config(%s, %s, true)"] * len(settings)),
            [value for pair in settings.items() for value in pair],
        )
        cursor.execute(sql, [literal, *params, limit])
        rows = cursor.fetchall()
        transaction.set_rollback(True)
    return [(pk, float(distance)) for pk, distance in rows]
