"""Category quality: triage labelled texts as the hub would and compare the categories with the labels.

Labels are either the hub's categories (``ai.types.CATEGORIES``) or the coarse set ``bug`` / ``feature_request`` /
``other``. The coarse set is detected when every label is one of those three: a prediction then counts as
``feature_request`` when it is ``feature_request`` or ``improvement``, as ``bug`` when it is ``bug``, and as ``other``
for every other category. Macro-F1 averages over the labels of the truth and of the predictions (scikit-learn's
default).
"""

from __future__ import annotations

import time

from ai.evaluation import EvaluationError, confusion_text, f1_table, triage_all
from ai.types import CATEGORIES

COARSE = ("bug", "feature_request", "other")


def coarse(category: str) -> str:
    """The coarse label of a hub category."""
    if category == "bug":
        return "bug"
    return "feature_request" if category in ("feature_request", "improvement") else "other"


def _labels(rows: list[dict]) -> tuple[list[str], str]:
    gold = [str(row.get("label") or "").strip().lower().replace(" ", "_") for row in rows]
    if any(not label for label in gold):
        raise EvaluationError(f"row {gold.index('') + 2}: empty label")
    if set(gold) <= set(COARSE):
        return gold, "coarse"
    unknown = sorted(set(gold) - set(CATEGORIES))
    if unknown:
        raise EvaluationError(
            f"unknown labels {unknown}: use the hub's categories ({', '.join(CATEGORIES)}) "
            f"or the coarse set ({', '.join(COARSE)})"
        )
    return gold, "hub"


def evaluate(rows: list[dict], provider) -> tuple[str, dict]:
    """Triage ``rows`` (``text``, ``label``) with ``provider``: a readable report and the figures (``accuracy``,
    ``macro_f1``, ``n``, ``seconds``, ``labels`` (coarse/hub), ``per_label`` F1, ``not_handled``)."""
    if not rows:
        raise EvaluationError("no rows to evaluate")
    gold, mode = _labels(rows)
    texts = [str(row.get("text") or "") for row in rows]
    started = time.perf_counter()
    results = triage_all(texts, provider)
    seconds = time.perf_counter() - started
    predicted = [coarse(result.category) if mode == "coarse" else result.category for result in results]
    order = list(COARSE) if mode == "coarse" else list(CATEGORIES)
    labels = [label for label in order if label in set(gold) | set(predicted)]
    table = f1_table(gold, predicted, labels)
    accuracy = sum(1 for g, p in zip(gold, predicted, strict=True) if g == p) / len(gold)
    macro_f1 = sum(row["f1"] for row in table.values()) / len(table)
    not_handled = sum(1 for result in results if not result.handled)
    figures = {
        "accuracy": round(accuracy, 4),
        "macro_f1": round(macro_f1, 4),
        "n": len(rows),
        "seconds": round(seconds, 2),
        "labels": mode,
        "per_label_f1": {label: round(row["f1"], 4) for label, row in table.items()},
        "not_handled": not_handled,
        "items_per_second": round(len(rows) / seconds, 1) if seconds else None,
    }
    lines = [
        f"Category: {len(rows)} items, {mode} labels, triaged by {provider.name} "
        f"({getattr(provider, 'version', '') or getattr(provider, 'model', '')}) in {seconds:.1f} s",
        f"  accuracy {accuracy:.3f}   macro-F1 {macro_f1:.3f}   "
        f"({not_handled} items in a language the provider does not handle well)",
        "",
        f"  {'label':<16}{'precision':>10}{'recall':>10}{'F1':>10}{'support':>10}",
    ]
    lines += [
        f"  {label:<16}{row['precision']:>10.3f}{row['recall']:>10.3f}{row['f1']:>10.3f}{row['support']:>10}"
        for label, row in table.items()
    ]
    lines += ["", "Confusion matrix:", confusion_text(gold, predicted, labels, labels)]
    if mode == "coarse":
        fine = {}
        for result in results:
            fine[result.category] = fine.get(result.category, 0) + 1
        lines.append("Hub categories behind the coarse predictions: " + ", ".join(f"{k} {v}" for k, v in fine.items()))
    return "\n".join(lines), figures
