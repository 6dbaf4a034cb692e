"""``manage.py evaluate_ask --corpus FILE --queries FILE [--split all|a|b] [--provider NAME]``: Ask the hub's retrieval
measured on labelled text.

The corpus (CSV ``text,label``; ``category`` is read as the label when there is no ``label`` column, as in banking77's
own file) is loaded into a **scratch space**: a new ``EmbeddingSpace`` of its own, with one ``FeedbackItem`` and one
``FeedbackEmbedding`` per text, all inside one transaction that is rolled back at the end, whatever happens. So the
queries run the real retrieval path (``insights.ask_retrieval.search``: the same SQL, the same partial HNSW index
and iterative scan the hub uses; only the question's embedding is timed apart) and nothing is left behind; the live
feedback is never seen (every lookup is in the scratch space). Each query (CSV ``query,label``) retrieves 50 items;
an item is relevant when its label is the query's. Label ``none`` marks an off-topic query: it should abstain.

``--split a`` or ``b`` keeps half of the queries (on-topic ones by their label, off-topic ones by their text, split
by a fixed hash): a parameter chosen on one half can be reported on the other.

``--templates FILE`` (one template a line, each with ``{topic}`` once, e.g. "What do customers say about {topic}?")
asks every query in every template (``ai.abstention.expand``: mechanical, nothing written per query; the split is
taken on the bare queries first). The report then gives the abstention per template (AUC, and what the fixed
``ABSTAIN_BELOW`` declines and answers), so a threshold is seen to hold, or not, across phrasings.

Beside the raw strength, every query's ``ai.abstention.background_z`` against an evenly spaced sample of the scratch
space (``BACKGROUND`` vectors) is computed and its AUC printed (``abstain_auc_background_z``), and the threshold that
``choose_threshold`` would pick on this run's queries (``threshold_if_chosen_here``): chosen on one run (split a, some
templates), checked on another.

Prints a readable report (figures, the worst queries, the closest calls of the abstention) and, as its LAST line, one
line of JSON: ndcg_at_10, precision_at_10, recall_at_50, mrr, share_under_0_5, abstain_auc (with off-topic
queries), n, seconds and the timings.
"""

from __future__ import annotations

import csv
import io
import json
import statistics
import time
import uuid
import zlib
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from ai import abstention
from feedback.choices import Source
from feedback.models import EmbeddingSpace, FeedbackEmbedding, FeedbackItem
from feedback.services import content_hash
from insights import ask_retrieval
from insights.ask_evaluation import OFF_TOPIC, QueryResult, roc_auc, summarise

BATCH = 256  # texts embedded (and rows inserted) at a time: the progress bar moves per batch
LIMIT = 50  # recall@50 needs 50 rows
BACKGROUND = 1000  # vectors of the scratch space each query's background z is measured against


def read_csv(path: Path, columns: tuple[str, ...], *, encoding: str, aliases: dict[str, str] | None = None) -> list:
    """The CSV's rows as tuples of ``columns`` (header names trimmed, case-insensitive; ``aliases`` maps a column to
    another name it may have). Every problem is a ``CommandError`` naming the file, and the line where it has one."""
    if not path.is_file():
        raise CommandError(f"{path}: no such file")
    try:
        text = path.read_bytes().decode(encoding)
    except LookupError as error:
        raise CommandError(f"{path}: unknown encoding {encoding!r} (try utf-8, latin-1 or cp1252)") from error
    except UnicodeDecodeError as error:
        raise CommandError(
            f"{path} is not {encoding} text: byte 0x{error.object[error.start]:02x} at offset {error.start} "
            f"cannot be decoded (save it as UTF-8, or pass --encoding)"
        ) from error
    text = text.removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [name.strip().lower() for name in next(reader, [])]
        if not any(header):
            raise CommandError(f"{path} is empty: expected a header line with {', '.join(columns)}")
        for column, alias in (aliases or {}).items():
            if column not in header and alias in header:
                header[header.index(alias)] = column
        missing = [column for column in columns if column not in header]
        if missing:
            raise CommandError(
                f"{path}: missing column(s) {', '.join(missing)}; the header has {', '.join(header)} "
                f"and this file needs {', '.join(columns)}"
            )
        positions = [header.index(column) for column in columns]
        rows = []
        for row in reader:
            if not any(value.strip() for value in row):
                continue
            values = tuple((row[index] if index < len(row) else "").strip() for index in positions)
            empty = [column for column, value in zip(columns, values, strict=True) if not value]
            if empty:
                raise CommandError(f"{path}, line {reader.line_num}: empty {', '.join(empty)}")
            rows.append(values)
    except csv.Error as error:
        raise CommandError(f"{path}, line {reader.line_num}: not a readable CSV ({error})") from error
    if not rows:
        raise CommandError(f"{path} has a header but no rows")
    return rows


def half(key: str) -> str:
    """``a`` or ``b``: a fixed split by hash (the same in every run and on every machine)."""
    return "ab"[zlib.crc32(key.encode()) % 2]


class Command(BaseCommand):
    help = "Measure Ask the hub's retrieval on a labelled corpus and queries; the last line printed is JSON."

    def add_arguments(self, parser):
        parser.add_argument("--corpus", required=True, type=Path, help="CSV text,label: the feedback to search")
        parser.add_argument("--queries", required=True, type=Path, help="CSV query,label (label none = off-topic)")
        parser.add_argument("--split", choices=["all", "a", "b"], default="all", help="keep half of the queries")
        parser.add_argument("--provider", default="offline", help="the embedding provider (default: offline)")
        parser.add_argument("--encoding", default="utf-8", help="the files' text encoding (default: utf-8)")
        parser.add_argument("--worst", type=int, default=10, help="how many worst queries to print (default 10)")
        parser.add_argument(
            "--templates", type=Path, help="a file of question templates, one a line, each with {topic}: every query "
            "is asked in each (the abstention is reported per template)"
        )  # fmt: skip

    def handle(
        self, *args, corpus: Path, queries: Path, split: str, provider: str, encoding: str, worst: int, templates, **_
    ):
        started = time.perf_counter()
        texts = read_csv(corpus, ("text", "label"), encoding=encoding, aliases={"label": "category"})
        asked = read_csv(queries, ("query", "label"), encoding=encoding)
        labels = {label for _, label in texts}
        unknown = sorted({label for _, label in asked if label != OFF_TOPIC and label not in labels})
        if unknown:
            raise CommandError(
                f"{queries}: label(s) {', '.join(unknown[:5])} match no text of {corpus} (use 'none' for off-topic)"
            )
        if split != "all":
            asked = [(query, label) for query, label in asked if half(query if label == OFF_TOPIC else label) == split]
        phrasings = _templates(templates, encoding=encoding) if templates else [abstention.TOPIC]
        self._template_of = {}
        try:
            expanded = abstention.expand(asked, phrasings)
        except ValueError as error:
            raise CommandError(f"{templates}: {error}") from error
        asked = []
        for query, label, index in expanded:
            asked.append((query, label))
            self._template_of[query] = index
        from ai.providers import get_provider

        model = get_provider(provider)
        with transaction.atomic():
            try:
                space, timings = self._load(texts, model)
                results, timings["search_ms"], timings["embed_query_ms"], plans = self._ask(asked, texts, model, space)
            finally:
                transaction.set_rollback(True)  # the scratch space and its rows go, whatever happened
        figures = summarise(results, threshold=ask_retrieval.ABSTAIN_BELOW)
        figures |= self._abstention_figures(results, phrasings)
        figures |= {
            "split": split,
            "corpus": len(texts),
            "embed_texts_per_s": round(len(texts) / timings["embed_s"], 1),
            "load_s": round(timings["load_s"], 1),
            "search_ms_p50": round(statistics.median(timings["search_ms"]), 2),
            "search_ms_p95": round(_p95(timings["search_ms"]), 2),
            "embed_query_ms_p50": round(statistics.median(timings["embed_query_ms"]), 2),
            "plans": plans,
            "seconds": round(time.perf_counter() - started, 1),
        }
        self._report(results, figures, worst=worst, provider=model)
        self.stdout.write(json.dumps(figures, sort_keys=True))

    def _load(self, texts: list[tuple[str, str]], model) -> tuple[EmbeddingSpace, dict]:
        """The scratch space, the corpus embedded into it (a progress bar on stderr), its rows inserted."""
        token = uuid.uuid4().hex[:12]
        space = EmbeddingSpace.objects.create(
            provider=model.name, model=f"{model.model} evaluate_ask {token}"[:100], dimensions=model.dimensions
        )
        now = timezone.now()
        embed_s = load_s = 0.0
        for start in range(0, len(texts), BATCH):
            chunk = texts[start : start + BATCH]
            clock = time.perf_counter()
            vectors = model.embed([text for text, _ in chunk])
            embed_s += time.perf_counter() - clock
            clock = time.perf_counter()
            items = FeedbackItem.objects.bulk_create(
                FeedbackItem(
                    received_at=now,
                    source=Source.MANUAL,
                    source_id=f"evaluate_ask:{token}:{start + offset}",
                    verbatim=text,
                    raw_payload={"evaluate_ask": label},
                )
                for offset, (text, label) in enumerate(chunk)
            )
            FeedbackEmbedding.objects.bulk_create(
                FeedbackEmbedding(
                    feedback=item,
                    space=space,
                    dimensions=space.dimensions,
                    vector=vector,
                    received_at=now,
                    content_hash=content_hash(item.verbatim),
                )
                for item, vector in zip(items, vectors, strict=True)
            )
            load_s += time.perf_counter() - clock
            self._progress(start + len(chunk), len(texts))
        self.stderr.write("")
        return space, {"embed_s": embed_s, "load_s": load_s}

    def _progress(self, done: int, total: int) -> None:
        filled = int(30 * done / total)
        self.stderr.write(f"\rembedding the corpus [{'#' * filled}{'.' * (30 - filled)}] {done:,}/{total:,}", ending="")
        self.stderr.flush()

    def _ask(self, asked, texts, model, space):
        """Each query embedded (timed), then searched in the scratch space (timed apart): its ranking of labels."""
        by_id = dict(
            FeedbackItem.objects.filter(embeddings__space=space).values_list("pk", "raw_payload__evaluate_ask")
        )
        counts: dict[str, int] = {}
        for _, label in texts:
            counts[label] = counts.get(label, 0) + 1
        results, search_ms, embed_ms, plans = [], [], [], {}
        background = self._background(space)
        self._z = {}
        for query, label in asked:
            clock = time.perf_counter()
            vector = model.embed([query])[0]
            embed_ms.append((time.perf_counter() - clock) * 1000)
            clock = time.perf_counter()
            found = ask_retrieval.search(vector, space=space, limit=LIMIT)
            search_ms.append((time.perf_counter() - clock) * 1000)
            plans[found.plan] = plans.get(found.plan, 0) + 1
            self._z[query] = abstention.background_z(found.strength, vector, background)
            ranking = tuple(by_id[hit.item_id] == label for hit in found.hits)
            result = QueryResult(query, label, ranking, counts.get(label, 0), round(found.strength, 4), found.abstain)
            results.append((result, [by_id[hit.item_id] for hit in found.hits[:3]]))
        self._top3 = {result.query: top for result, top in results}
        return [result for result, _ in results], search_ms, embed_ms, plans

    def _background(self, space):
        """An evenly spaced sample of the scratch space's vectors (by id): the same sample on every run."""
        ids = list(FeedbackEmbedding.objects.filter(space=space).order_by("pk").values_list("pk", flat=True))
        chosen = [ids[position] for position in abstention.evenly_spaced(len(ids), BACKGROUND)]
        return [list(v) for v in FeedbackEmbedding.objects.filter(pk__in=chosen).values_list("vector", flat=True)]

    def _abstention_figures(self, results: list[QueryResult], phrasings: list[str]) -> dict:
        """Abstention per template at ``ABSTAIN_BELOW``, the background z's AUC, the threshold chosen on this run."""
        on = [r for r in results if not r.off_topic]
        off = [r for r in results if r.off_topic]
        if not on or not off:
            return {}
        threshold = ask_retrieval.ABSTAIN_BELOW
        by_template = []
        for index, template in enumerate(phrasings):
            on_t = [r.strength for r in on if self._template_of[r.query] == index]
            off_t = [r.strength for r in off if self._template_of[r.query] == index]
            if on_t and off_t:
                matrix = abstention.confusion(on_t, off_t, threshold)
                by_template.append(
                    {
                        "template": template,
                        "abstain_auc": round(roc_auc(on_t, off_t), 4),
                        "on_topic_abstained": matrix.declined_on_topic,
                        "off_topic_answered": matrix.answered_off_topic,
                        "min_on_topic_strength": round(min(on_t), 4),
                        "max_off_topic_strength": round(max(off_t), 4),
                    }
                )
        on_s, off_s = [r.strength for r in on], [r.strength for r in off]
        return {
            "abstain_auc_background_z": round(
                roc_auc([self._z[r.query] for r in on], [self._z[r.query] for r in off]), 4
            ),
            "threshold_if_chosen_here": round(abstention.choose_threshold(on_s, off_s), 4),
            "by_template": by_template,
        }

    def _report(self, results: list[QueryResult], figures: dict, *, worst: int, provider) -> None:
        out = self.stdout.write
        on = sorted((r for r in results if not r.off_topic), key=lambda r: (r.ndcg, r.query))
        off = sorted((r for r in results if r.off_topic), key=lambda r: -r.strength)
        out(f"Ask the hub — retrieval on {figures['corpus']:,} texts, {len(on)} on-topic and {len(off)} off-topic")
        out(f"queries (split {figures['split']}), {provider.name} {provider.model}, scratch space rolled back.")
        if on:
            out(
                f"  nDCG@10 {figures['ndcg_at_10']:.3f}   P@10 {figures['precision_at_10']:.3f}   "
                f"recall@50 {figures['recall_at_50']:.3f}   MRR {figures['mrr']:.3f}   "
                f"queries under 0.5: {figures['share_under_0_5']:.1%}"
            )
        if "abstain_auc" in figures:
            out(
                f"  abstention AUC {figures['abstain_auc']:.3f}; at the threshold {figures['abstain_threshold']}: "
                f"{figures['on_topic_abstained']} on-topic declined, "
                f"{figures['off_topic_answered']} off-topic answered "
                f"(lowest on-topic strength {figures['min_on_topic_strength']:.3f}, highest off-topic "
                f"{figures['max_off_topic_strength']:.3f})"
            )
            out(
                f"  a threshold chosen on these queries would be {figures['threshold_if_chosen_here']}; "
                f"AUC of the background z instead of the raw best cosine: {figures['abstain_auc_background_z']:.3f}"
            )
            if len(figures["by_template"]) > 1:
                out(f"  per template (AUC; at {figures['abstain_threshold']}: on-topic declined, off-topic answered):")
                for row in figures["by_template"]:
                    out(
                        f"    {row['abstain_auc']:.3f}  {row['on_topic_abstained']:>3} declined  "
                        f"{row['off_topic_answered']:>3} answered  {row['template']!r}"
                    )
        out(
            f"  corpus embedded at {figures['embed_texts_per_s']:,.0f} texts/s, inserted in {figures['load_s']} s; "
            f"query embedding p50 {figures['embed_query_ms_p50']} ms; search p50 {figures['search_ms_p50']} ms, "
            f"p95 {figures['search_ms_p95']} ms ({', '.join(f'{k} {v}' for k, v in figures['plans'].items())})"
        )
        if on and worst:
            out(f"Worst {min(worst, len(on))} on-topic queries (nDCG@10, first relevant rank, top 3 labels retrieved):")
            for r in on[:worst]:
                first = next((rank for rank, hit in enumerate(r.ranking, start=1) if hit), None)
                out(f"  {r.ndcg:.3f}  {first or '-':>3}  {r.query!r:40} → {', '.join(self._top3[r.query])}")
        if off:
            out("Off-topic queries closest to answering (strength):")
            for r in off[:5]:
                out(f"  {r.strength:.3f}  {'ANSWERED' if not r.abstained else 'declined'}  {r.query!r}")


def _templates(path: Path, *, encoding: str) -> list[str]:
    if not path.is_file():
        raise CommandError(f"{path}: no such file")
    lines = [line.strip() for line in path.read_text(encoding=encoding).splitlines() if line.strip()]
    if not lines:
        raise CommandError(f"{path} has no template (one a line, each with {abstention.TOPIC})")
    return lines


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
