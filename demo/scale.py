"""Scale data for benchmarks (``seed_scale``): customers, feedback and theme links bulk-loaded with COPY.

One transaction: the tables written to are locked, their secondary indexes and foreign keys dropped for the load
and rebuilt afterwards (``feedbackhub.bulk``). Feedback is generated in chunks, each from its own seed, in this
process or in spawned worker processes (``demo.worker``): the same seed and batch give the same content whatever
the number of workers. Every row carries the demo's mark (``demo.safety``).
"""

from __future__ import annotations

import itertools
import random
import secrets
import string
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from customers.choices import Region
from customers.models import Customer
from demo.accounts import ACCOUNT_FIELDS, Account, CustomerFactory
from demo.drafting import DUPLICATE_SHARE, Draft, FeedbackFactory
from demo.vocabulary import VOCABULARY as V
from feedback.models import FeedbackItem
from feedbackhub.bulk import (
    NULL,
    analyze,
    copy_line,
    copy_statement,
    copy_text,
    drop_objects,
    escape,
    fire_pending_constraint_checks,
    foreign_keys,
    lock_tables,
    reserve_ids,
    restore_objects,
    secondary_indexes,
)
from themes.choices import ThemeStatus
from themes.services import create_theme, refresh_rollups

CUSTOMER_COLUMNS = (
    "id", "name", "domain", "industry", "region", "language", "tier", "arr", "plan", "lifecycle_stage",
    "primary_use_case", "account_owner_id", "customer_since", "health_score", "renewal_date", "crm_id",
    "created_at", "updated_at",
)  # fmt: skip
FEEDBACK_COLUMNS = (
    "id", "received_at", "source", "source_id", "source_url", "verbatim", "summary", "reporter_email",
    "customer_id", "category", "product", "product_area", "severity", "priority", "sentiment_score",
    "sentiment_label", "tags", "status", "duplicate_of_id", "raw_payload", "triaged_at", "created_at",
    "updated_at", "language", "churn_signal", "competitors", "jtbd", "human_fields",
)  # fmt: skip
# The AI triage's columns (issue 8) have no database default: COPY gives them the model's (left for triage to fill).
AI_DEFAULTS = ("", "f", "{}", "", "{}")
RECENT_ORIGINALS_PER_TOPIC = 200  # duplicates point at one of the latest originals of their topic


@dataclass
class ScaleReport:
    """What ``seed_scale`` inserted and how long each phase took (seconds)."""

    token: str
    customers: int = 0
    feedback: int = 0
    links: int = 0
    themes: int = 0
    duplicates: int = 0
    indexes: int = 0
    foreign_keys: int = 0
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def total_seconds(self) -> float:
        """Wall time of the whole load."""
        return sum(self.timings.values())


def run_token() -> str:
    """A short random token that source ids, domains and CRM ids of one scale run embed (never seeded)."""
    return "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(5))


def _progress(total: int, description: str, enabled: bool):
    if not enabled:
        return nullcontext(None)
    from tqdm import tqdm

    return tqdm(total=total, desc=description, unit=" rows", unit_scale=True, dynamic_ncols=True)


def seed_scale(
    *,
    feedback: int,
    customers: int,
    themes: int,
    batch: int,
    seed: int,
    workers: int = 0,
    progress: bool = True,
    log: Callable[[str], None] = print,
    today: date | None = None,
) -> ScaleReport:
    """Bulk-load scale data with COPY in one transaction; every index that existed before exists afterwards.

    The tables written to are locked and their secondary indexes and foreign keys dropped during the load, then
    rebuilt (the foreign keys validated in one pass each instead of one check per row) and the tables analysed;
    theme rollups are refreshed at the end. A failure or Ctrl-C rolls everything back.

    Feedback is generated in chunks of ``batch`` rows, each from its own seed, by ``workers`` processes (0: in
    this process); the same seed and batch give the same content whatever the number of workers.
    """
    today = today or timezone.now().date()
    rng = random.Random(seed)
    report = ScaleReport(token=run_token())
    links_table = FeedbackItem.themes.through._meta.db_table
    # Only the tables this run writes rows to lose their indexes for the load.
    tables = [Customer._meta.db_table] if customers else []
    tables += [FeedbackItem._meta.db_table, links_table] if feedback else []
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        report.timings[name] = report.timings.get(name, 0.0) + now - clock
        clock = now

    with transaction.atomic():
        fire_pending_constraint_checks()
        lock_tables(tables, log=log)
        indexes, keys = secondary_indexes(tables=tables), foreign_keys(tables=tables)
        drop_objects([*keys, *indexes])
        report.indexes, report.foreign_keys = len(indexes), len(keys)
        log(
            f"Run token {report.token}: dropped {len(indexes)} secondary indexes and {len(keys)} foreign keys of "
            f"{', '.join(tables)} for the load."
        )
        lap("prepare")

        accounts = _copy_customers(rng=rng, count=customers, today=today, token=report.token, progress=progress)
        report.customers = len(accounts)
        if not accounts and feedback:
            accounts = _existing_accounts()
        lap("customers")

        theme_ids_by_topic = _scale_themes(rng=rng, count=themes, token=report.token) if themes else {}
        report.themes = sum(len(ids) for ids in theme_ids_by_topic.values())
        lap("themes")

        if feedback:
            state = ChunkState(
                accounts=accounts, themes_by_topic=theme_ids_by_topic, today=today, seed=seed, token=report.token
            )
            report.feedback, report.duplicates, report.links = _copy_feedback(
                state=state, count=feedback, batch=batch, workers=workers, progress=progress, links_table=links_table
            )
        lap("feedback")

        log(f"Rebuilding {len(indexes)} indexes, then validating {len(keys)} foreign keys…")
        restore_objects([*indexes, *keys], log=log)
        lap("indexes")
        analyze(tables)
        lap("analyze")
        theme_ids = [theme_id for ids in theme_ids_by_topic.values() for theme_id, _ in ids]
        refresh_rollups(theme_ids=theme_ids)
        lap("rollups")
    lap("commit")
    return report


def _existing_accounts() -> list[Account]:
    return [Account.from_fields(row) for row in Customer.objects.values(*ACCOUNT_FIELDS).iterator(chunk_size=10_000)]


def _copy_customers(*, rng: random.Random, count: int, today: date, token: str, progress: bool) -> list[Account]:
    """COPY ``count`` customers (ids reserved up front); returns them as accounts for the feedback."""
    if not count:
        return []
    staff = list(get_user_model().objects.filter(is_staff=True).order_by("pk").values_list("pk", flat=True))
    factory = CustomerFactory(rng=rng, today=today, owners_by_region=dict.fromkeys(Region.values, staff), token=token)
    first_id = reserve_ids(table=Customer._meta.db_table, count=count)
    now = timezone.now()
    accounts = []
    sql = copy_statement(Customer._meta.db_table, CUSTOMER_COLUMNS)
    step = 10_000
    with _progress(count, "customers", progress) as bar, connection.cursor() as cursor, cursor.copy(sql) as copy:
        for start in range(0, count, step):
            lines = []
            for index in range(start, min(start + step, count)):
                fields = factory.make(index)
                fields.update(id=first_id + index, created_at=now, updated_at=now)
                accounts.append(Account.from_fields(fields))
                lines.append(copy_line(fields[column] for column in CUSTOMER_COLUMNS))
            copy.write("".join(lines))
            if bar is not None:
                bar.update(len(lines))
    return accounts


def _scale_themes(*, rng: random.Random, count: int, token: str) -> dict[str, list[tuple[int, str]]]:
    """``count`` themes spread over the themed topics (via ``create_theme``); topic → [(theme id, status)]."""
    specs = V.themes
    owners = list(get_user_model().objects.filter(is_staff=True).order_by("pk")[:20])
    variants = (
        "financial services",
        "healthcare",
        "public sector",
        "retail",
        "EU",
        "North America",
        "APAC",
        "startups",
    )
    by_topic: dict[str, list[tuple[int, str]]] = {}
    for index in range(count):
        spec = specs[index % len(specs)]
        status = spec.status if index < len(specs) else rng.choice(ThemeStatus.values)
        theme = create_theme(
            name=f"{spec.name} — {rng.choice(variants)} [{token}-{index}]",
            description=spec.description,
            problem_statement=spec.problem_statement,
            owner=rng.choice(owners) if owners else None,
            status=status,
        )
        by_topic.setdefault(spec.topic, []).append((theme.pk, status))
    return by_topic


@dataclass
class ChunkState:
    """What every feedback chunk is generated from (sent once to each worker process)."""

    accounts: Sequence[Account]
    themes_by_topic: Mapping[str, Sequence[tuple[int, str]]]
    today: date
    seed: int
    token: str


_chunk_factory: FeedbackFactory | None = None  # per process: built once by start_chunk_worker
_chunk_state: ChunkState | None = None


def start_chunk_worker(state: ChunkState | None) -> None:
    """Prepare this process to generate feedback chunks from ``state`` (None forgets it). No database use."""
    global _chunk_factory, _chunk_state
    if state is None:
        _chunk_factory = _chunk_state = None
        return
    _chunk_state = state
    _chunk_factory = FeedbackFactory(
        rng=random.Random(),
        accounts=state.accounts,
        today=state.today,
        themes_by_topic=state.themes_by_topic,
        mark=f"seed_scale:{state.token}",
    )


def _feedback_chunk(job: tuple[int, int, int]) -> tuple[bytes, bytes, int]:
    """Rows ``first_id``… of chunk ``index`` as COPY text (feedback, theme links) and the number of duplicates.

    The chunk has its own seed and its own source-id prefix, so chunks can be generated in any process.
    """
    index, first_id, count = job
    state, factory = _chunk_state, _chunk_factory
    rng = random.Random(f"{state.seed}:{index}")
    factory.restart(rng=rng, id_prefix=f"{state.token}-{index:x}-")
    recent: dict[str, list[tuple[int, Draft]]] = {}
    lines, links, duplicates = [], [], 0
    for item_id in range(first_id, first_id + count):
        draft, duplicate_of = factory.make(), None
        pool = recent.get(draft.topic)
        if draft.triaged and pool and rng.random() < DUPLICATE_SHARE:
            duplicate_of, original = rng.choice(pool)
            draft = factory.make_duplicate(original)
            duplicates += 1
        elif draft.triaged:
            pool = recent.setdefault(draft.topic, [])
            if len(pool) < RECENT_ORIGINALS_PER_TOPIC:
                pool.append((item_id, draft))
            else:
                pool[rng.randrange(RECENT_ORIGINALS_PER_TOPIC)] = (item_id, draft)
        links += [f"{item_id}\t{theme_id}\n" for theme_id in draft.themes]
        lines.append(_feedback_line(item_id, draft, duplicate_of))
    return "".join(lines).encode(), "".join(links).encode(), duplicates  # bytes: the cheapest to pickle and send


def _feedback_line(item_id: int, draft: Draft, duplicate_of: int | None) -> str:
    """One feedback row (``FEEDBACK_COLUMNS``) in COPY text format; only free text needs escaping."""
    imported = draft.received_at + timedelta(minutes=3)
    triaged = draft.triaged_at
    score = draft.sentiment_score
    values = (
        str(item_id), draft.received_at.isoformat(), draft.source, escape(draft.source_id),
        draft.source_url, escape(draft.verbatim), escape(draft.summary),
        draft.reporter_email, str(draft.account.id) if draft.account else NULL, draft.category, draft.product,
        draft.product_area, draft.severity, draft.priority, NULL if score is None else str(score),
        draft.sentiment_label, copy_text(draft.tags), draft.status, NULL if duplicate_of is None else str(duplicate_of),
        copy_text(draft.raw_payload), NULL if triaged is None else triaged.isoformat(), imported.isoformat(),
        (triaged or imported).isoformat(), *AI_DEFAULTS,
    )  # fmt: skip
    return "\t".join(values) + "\n"


def _copy_feedback(
    *, state: ChunkState, count: int, batch: int, workers: int, progress: bool, links_table: str
) -> tuple[int, int, int]:
    """COPY ``count`` feedback rows (ids reserved up front, ~5 % duplicates) and their theme links, chunk by chunk."""
    table = FeedbackItem._meta.db_table
    first_id = reserve_ids(table=table, count=count)
    jobs = [(index, first_id + start, min(batch, count - start)) for index, start in enumerate(range(0, count, batch))]
    feedback_sql = copy_statement(table, FEEDBACK_COLUMNS)
    links_sql = copy_statement(links_table, ("feedbackitem_id", "theme_id"))
    duplicates = links = 0
    with (
        _chunk_results(state=state, jobs=jobs, workers=workers) as results,
        _progress(count, "feedback", progress) as bar,
        connection.cursor() as cursor,
    ):
        for (_, _, size), (rows, link_rows, chunk_duplicates) in zip(jobs, results, strict=True):
            with cursor.copy(feedback_sql) as copy:
                copy.write(rows)
            if link_rows:
                with cursor.copy(links_sql) as copy:
                    copy.write(link_rows)
            duplicates += chunk_duplicates
            links += link_rows.count(b"\n")
            if bar is not None:
                bar.update(size)
    return count, duplicates, links


@contextmanager
def _chunk_results(*, state: ChunkState, jobs: Sequence[tuple[int, int, int]], workers: int) -> Iterator:
    """The chunks' results in order: from ``workers`` spawned processes, or generated here when ``workers`` is 0."""
    if workers <= 0:
        start_chunk_worker(state)
        try:
            yield map(_feedback_chunk, jobs)
        finally:
            start_chunk_worker(None)
        return
    import multiprocessing
    import pickle
    from concurrent.futures import ProcessPoolExecutor

    from demo import worker

    # Spawned, not forked: a forked child would share this process's open database connection. A worker that
    # fails to start breaks the pool, which raises here instead of waiting forever.
    executor = ProcessPoolExecutor(
        max_workers=min(workers, len(jobs)),
        mp_context=multiprocessing.get_context("spawn"),
        initializer=worker.start,
        initargs=(pickle.dumps(state),),
    )
    try:
        yield _in_order(executor, jobs, ahead=workers + 1)
    finally:
        executor.shutdown(wait=True, cancel_futures=True)


def _in_order(executor, jobs: Sequence[tuple[int, int, int]], *, ahead: int) -> Iterator[tuple[bytes, bytes, int]]:
    """Results of ``jobs`` in order, with at most ``ahead`` chunks generated but not yet written (bounded memory)."""
    pending: deque = deque()
    remaining = iter(jobs)
    for job in itertools.islice(remaining, ahead):
        pending.append(executor.submit(_feedback_chunk, job))
    while pending:
        result = pending.popleft().result()
        job = next(remaining, None)
        if job is not None:
            pending.append(executor.submit(_feedback_chunk, job))
        yield result
