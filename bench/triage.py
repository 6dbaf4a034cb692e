"""`make bench` (BENCH_ONLY=triage): offline triage throughput on this machine's cores, end to end as a worker does.

**The items**: ``BENCH_TRIAGE_N`` (2,000) new, untriaged feedback items drawn by the demo's generator
(``demo.drafting.FeedbackFactory``: review-like texts from the topics of ``demo/data``, framed by their source, in
the account's language, so some are French or German), said by bench customers over the last 30 days. They are
inserted with their own source ids (``bench-triage-…``) and payload mark, and deleted again at the end (and at the
start, should a run have been interrupted), with their triage records, vectors and suggestions: re-runs are stable.

**The measure**: the offline provider (model loaded and warmed up first, as in a running worker) triages them through
``feedback.triage.triage_items`` in messages of ``BENCH_TRIAGE_MESSAGE`` (256) ids, the task's own call: read, embed,
classify, write records/items/vectors in one transaction, suggest duplicates among the 30 days' stored vectors,
then match the applied items to themes (``themes.matching.match_items``, which the pipeline queues as its own task;
here it runs in line, so the bench queues nothing). Printed: items/s overall, the time split (embed, classify,
duplicate suggestion, theme matching, the rest = database reads and writes, HNSW inserts included), the ratio to the
goal of 200 items/s, then classification alone: ``feedback.triage.compute_triage`` on the same items, their vectors
stored by now (no embedding, nothing written), its ``provider.triage`` calls timed apart from the reads around them.

Then what bounds it (``bench/triage_bound.py``): the shipped model alone, one process per core, embedding the same
texts (the most triage could reach if nothing else cost anything), and the int8 reference (int8 activations too: a
different embedding space the hub does not use) alone and through the whole pipeline in a worker pool; between them the
worker pools of ``BENCH_TRIAGE_POOLS``. Each pool starts with the themes' centres in the shared cache, as a running hub
has them (recomputed once a minute, not once per 2,000 items).

Only public seams are used: a timing proxy around the provider (``embed``, ``triage``), ``feedback.duplicates.
suggest_duplicates`` wrapped for the run, and the pipeline's theme-matching message (``feedback.triage.
MATCH_THEMES_TASK``, sent by name through Celery's ``send_task``) taken from the Celery app and run in line instead of
being queued; each is restored after. Nothing else of the pipeline is changed.
"""

from __future__ import annotations

import os
import random
import time
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.core.management import call_command
from django.utils import timezone

from bench import triage_bound as bound
from customers.models import Customer
from feedback import services
from feedback.models import FeedbackItem

GOAL = 200.0  # items/s, issue 8
PREFIX = "bench-triage-"
MARK = "bench_triage"
SEED = 8
ACCOUNTS = 400  # bench customers who say the items


def log(message: str) -> None:
    print(message, flush=True)


@dataclass
class Split:
    """Seconds spent in each part of the pipeline."""

    embed: float = 0.0
    classify: float = 0.0
    duplicates: float = 0.0
    themes: float = 0.0
    calls: dict[str, int] = field(default_factory=dict)
    texts: list[str] = field(default_factory=list)  # what was embedded, in order

    def add(self, part: str, seconds: float) -> None:
        setattr(self, part, getattr(self, part) + seconds)
        self.calls[part] = self.calls.get(part, 0) + 1


class TimedProvider:
    """The provider, with the time spent in ``embed`` and ``triage`` added to ``split``; everything else as is."""

    def __init__(self, provider, split: Split) -> None:
        self._provider, self._split = provider, split

    def __getattr__(self, name):
        return getattr(self._provider, name)

    def embed(self, texts):
        self._split.texts.extend(texts)
        started = time.perf_counter()
        try:
            return self._provider.embed(texts)
        finally:
            self._split.add("embed", time.perf_counter() - started)

    def triage(self, requests, *, vectors=None):
        started = time.perf_counter()
        try:
            return self._provider.triage(requests, vectors=vectors)
        finally:
            self._split.add("classify", time.perf_counter() - started)


@contextmanager
def timed_steps(split: Split):
    """Time the pipeline's duplicate suggestion, and run its theme matching in line (timed) instead of queueing it:
    the Celery app's ``send_task`` runs ``MATCH_THEMES_TASK`` here and sends any other task as usual."""
    from feedback import duplicates
    from feedback.triage import MATCH_THEMES_TASK
    from feedbackhub.celery import app
    from themes import matching

    suggest, send = duplicates.suggest_duplicates, app.send_task

    def timed_suggest(**kwargs):
        started = time.perf_counter()
        try:
            return suggest(**kwargs)
        finally:
            split.add("duplicates", time.perf_counter() - started)

    def match_in_line(name, args=None, kwargs=None, **options):
        if name != MATCH_THEMES_TASK:
            return send(name, args, kwargs, **options)
        started = time.perf_counter()
        try:
            matching.match_items(**(kwargs or {}))
        finally:
            split.add("themes", time.perf_counter() - started)

    duplicates.suggest_duplicates, app.send_task = timed_suggest, match_in_line
    try:
        yield
    finally:
        duplicates.suggest_duplicates = suggest
        del app.send_task  # the instance attribute goes: the class's method answers again


def word_pieces(texts: list[str]) -> float:
    """The average number of word pieces a text, by the offline model's own tokenizer (truncated as it is)."""
    from tokenizers import Tokenizer

    from ai.providers.offline import MAX_TOKENS, tokenizer_path

    tokenizer = Tokenizer.from_file(str(tokenizer_path()))
    tokenizer.enable_truncation(max_length=MAX_TOKENS)
    tokenizer.no_padding()
    return sum(sum(encoding.attention_mask) for encoding in tokenizer.encode_batch(texts)) / max(len(texts), 1)


def remove_items() -> int:
    """Delete the bench's triage items through ``services.delete_feedback`` (records, vectors, suggestions and theme
    links go with them, the themes touched get their rollups flagged); how many."""
    deleted = 0
    while ids := list(FeedbackItem.objects.filter(source_id__startswith=PREFIX).values_list("pk", flat=True)[:1000]):
        deleted += services.delete_feedback(items=[FeedbackItem(pk=pk) for pk in ids])
    return deleted


def draft_items(count: int) -> list[FeedbackItem]:
    """``count`` new untriaged items from the demo generator, said by bench customers in the last 30 days."""
    from demo.accounts import Account
    from demo.drafting import FeedbackFactory

    customers = list(Customer.objects.order_by("pk")[: ACCOUNTS * 50 : 50]) or list(Customer.objects.all()[:ACCOUNTS])
    factory = FeedbackFactory(
        rng=random.Random(SEED),
        accounts=[Account.from_fields(customer.__dict__, id=customer.pk) for customer in customers],
        today=timezone.now().date(),
        themes_by_topic={},
        untriaged_share=1.0,  # every draft comes untriaged: blank triage fields, received in the last 30 days
        mark=MARK,
    )
    stamp = int(time.time())
    items = []
    for number in range(count):
        fields = factory.make().model_fields()
        fields["source_id"] = f"{PREFIX}{stamp}-{number}"
        items.append(FeedbackItem(**fields))
    return items


def run(*, count: int | None = None, message: int | None = None) -> None:
    from ai.providers import get_provider
    from feedback import triage

    count = count or int(os.environ.get("BENCH_TRIAGE_N", 2000))
    message = message or int(os.environ.get("BENCH_TRIAGE_MESSAGE", 256))
    call_command("migrate", interactive=False, verbosity=0)
    log(f"\nOffline triage, end to end ({count:,} new items, messages of {message} ids, {os.cpu_count()} CPUs)")
    if leftovers := remove_items():
        log(f"  removed {leftovers:,} items left by an interrupted run")
    provider = get_provider("offline")
    items = draft_items(count)
    provider.embed([item.verbatim for item in items[:64]])  # warm-up: model loaded, as in a running worker
    pieces = word_pieces([item.verbatim for item in items])
    log(f"  {pieces:.0f} word pieces a text on average (truncated at 256); load average {os.getloadavg()[0]:.1f}")
    triage.use_active_classifier(provider)
    try:
        started = time.perf_counter()
        FeedbackItem.objects.bulk_create(items, batch_size=1000)
        inserted = time.perf_counter() - started
        ids = [item.pk for item in items]
        split = Split()
        timed = TimedProvider(provider, split)
        triage.use_active_classifier(timed)
        outcomes: dict[str, int] = {}
        with timed_steps(split):
            started = time.perf_counter()
            for start in range(0, len(ids), message):
                result = triage.triage_items(item_ids=ids[start : start + message], provider=timed)
                for outcome in ("applied", "shadow", "needs_review", "skipped"):
                    outcomes[outcome] = outcomes.get(outcome, 0) + getattr(result, outcome)
            total = time.perf_counter() - started
        report(count=count, inserted=inserted, total=total, split=split, outcomes=outcomes, ids=ids)
        classify_alone(provider, ids)
        remove_items()
        bound.report_ceiling(split.texts, goal=GOAL, log=log)
        for processes, threads in pool_layouts():
            pool_run(count=count, message=message, processes=processes, threads=threads)
        if os.environ.get("BENCH_TRIAGE_INT8", "1") != "0":
            int8_reference(split.texts, count=count, message=message)
    finally:
        removed = remove_items()
        log(f"  cleaned up: {removed:,} bench items deleted (with their records, vectors and suggestions)")


def report(*, count: int, inserted: float, total: float, split: Split, outcomes: dict, ids: list[int]) -> None:
    from feedback.models import DuplicateSuggestion, TriageRecord

    rate = count / total
    rest = total - split.embed - split.classify - split.duplicates - split.themes
    records = TriageRecord.objects.filter(feedback_id__in=ids)
    log(f"  inserted in {inserted:.2f} s; outcomes: " + ", ".join(f"{k} {v:,}" for k, v in outcomes.items() if v))
    log(
        f"  records {records.count():,}, languages "
        + ", ".join(
            f"{language or '?'} {n}"
            for language, n in sorted(
                _counts(records.values_list("language", flat=True)).items(), key=lambda pair: -pair[1]
            )[:5]
        )
        + f"; duplicate suggestions {DuplicateSuggestion.objects.filter(item_id__in=ids).count():,}"
    )
    log(f"  end to end: {total:7.2f} s  {rate:8.1f} items/s   goal {GOAL:.0f} items/s: ×{rate / GOAL:.2f}")
    for label, seconds in (
        ("embed (MiniLM int8, onnxruntime)", split.embed),
        ("classify (provider.triage with vectors)", split.classify),
        ("duplicate suggestion (windowed HNSW)", split.duplicates),
        ("theme matching", split.themes),
        ("database reads and writes (the rest)", rest),
    ):
        share = seconds / total * 100 if total else 0
        log(f"    {label:<42} {seconds:7.2f} s  {share:5.1f} %  {count / seconds if seconds else 0:9.0f} items/s")


def classify_alone(provider, ids: list[int]) -> None:
    """``feedback.triage.compute_triage`` on the items, in the pipeline's batches, their vectors stored by now: the
    provider's ``triage`` timed apart from the reads around it (vectors, themes), nothing embedded, nothing written."""
    from feedback import triage
    from feedback.models import FeedbackEmbedding
    from feedback.services import active_embedding_space

    stored = FeedbackEmbedding.objects.filter(space=active_embedding_space(provider=provider), feedback_id__in=ids)
    items = list(  # those triage embedded (a transcript cut into pieces has none: its pieces were triaged)
        FeedbackItem.objects.filter(pk__in=stored.values("feedback_id"))
        .select_related("customer")
        .defer("raw_payload")
        .order_by("pk")
    )
    best: tuple[float, Split] | None = None
    for _ in range(3):
        split = Split()
        timed = TimedProvider(provider, split)
        started = time.perf_counter()
        for start in range(0, len(items), triage.BATCH_SIZE):
            triage.compute_triage(items[start : start + triage.BATCH_SIZE], provider=timed)
        total = time.perf_counter() - started
        if best is None or split.classify < best[1].classify:
            best = (total, split)
    total, split = best
    embedded = f"; {split.embed:.2f} s embedding stale vectors" if split.calls.get("embed") else ""
    log(
        f"  classification alone, vectors given: {len(items):,} items in {split.classify:.2f} s = "
        f"{len(items) / split.classify if split.classify else 0:,.0f} items/s (best of 3); with compute_triage's "
        f"reads and checked records {total:.2f} s = {len(items) / total if total else 0:,.0f} items/s{embedded}"
    )


def _counts(values) -> dict:
    counts: dict = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return counts


def pool_layouts() -> list[tuple[int, int | None]]:
    """The worker pools measured: ``BENCH_TRIAGE_POOLS`` ("2x1,2x2": processes × onnxruntime threads each; empty: none).
    The worker's own default is one process per core (``hub_processes.default_concurrency``)."""
    layouts = []
    for part in os.environ.get("BENCH_TRIAGE_POOLS", "2x1,2x2").split(","):
        if part.strip():
            processes, threads = part.strip().split("x")
            layouts.append((int(processes), int(threads)))
    return layouts


def int8_reference(texts: list[str], *, count: int, message: int) -> None:
    """``bench.triage_bound``'s int8 reference: its agreement with the shipped vectors, its embedding ceiling, and
    the whole pipeline in a worker pool of one process per core running it (BENCH_TRIAGE_INT8=0 skips it)."""
    model_file, why = bound.quantized_model()
    if model_file is None:
        log(f"  int8 reference skipped: {why}")
        return
    cores = os.cpu_count() or 1
    mean, lowest = bound.agreement(texts[:500], model_file)
    rate = bound.embedding_rate(texts, processes=cores, model_file=model_file)
    log(
        f"  int8 reference (int8 activations too; not the hub's space: cosine to the shipped vectors mean {mean:.3f}, "
        f"lowest {lowest:.3f}): embedding alone {rate:6.1f} texts/s, goal {GOAL:.0f}: ×{rate / GOAL:.2f}"
    )
    pool_run(count=count, message=message, processes=cores, threads=1, model_file=model_file)


def pool_run(*, count: int, message: int, processes: int, threads: int, model_file=None) -> None:
    """The same pipeline as a worker pool runs it: ``processes`` processes (spawned, each with its own provider of
    ``threads`` onnxruntime threads, model loaded and warmed before the clock starts) take messages of ``message`` ids
    from one queue until it is empty; items/s over the wall time until the last one is done."""
    import multiprocessing

    from django.db import connections

    from feedback.services import active_embedding_space
    from themes.matching import theme_centroids

    items = draft_items(count)
    FeedbackItem.objects.bulk_create(items, batch_size=1000)
    ids = [item.pk for item in items]
    # The themes' centres in the shared cache, as a running hub has them (recomputed once a minute, not per run).
    theme_centroids(space=active_embedding_space())
    connections.close_all()
    context = multiprocessing.get_context("spawn")
    queue, results, ready = context.Queue(), context.Queue(), context.Barrier(processes + 1)
    for start in range(0, len(ids), message):
        queue.put(ids[start : start + message])
    for _ in range(processes):
        queue.put(None)
    from bench.triage_pool import child as pool_child

    children = [
        context.Process(target=pool_child, args=(queue, results, ready, threads, model_file)) for _ in range(processes)
    ]
    for child in children:
        child.start()
    try:
        ready.wait(timeout=300)
        started = time.perf_counter()
        splits = [results.get(timeout=1800) for _ in children]
        total = time.perf_counter() - started
    finally:
        for child in children:
            child.join(timeout=60)
    applied = sum(split["applied"] for split in splits)
    summed = {part: sum(split[part] for split in splits) for part in ("embed", "duplicates", "themes")}
    log(
        f"  {'int8 reference, ' if model_file else ''}worker pool, {processes} processes × {threads} onnxruntime "
        f"thread{'s' if threads > 1 else ''}: "
        f"{total:6.2f} s  {count / total:6.1f} items/s  ×{count / total / GOAL:.2f} the goal ({applied:,} applied; "
        + ", ".join(f"{part} {seconds:.1f} s" for part, seconds in summed.items())
        + " summed over the processes)"
    )
    remove_items()
