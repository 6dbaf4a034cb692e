"""Measuring the AI against labelled data (``manage.py evaluate_triage``): one module per task.

Each task module exposes ``evaluate(rows: list[dict], provider) -> (report_text, figures)``: ``rows`` are the CSV's
rows (dicts of its columns), ``provider`` the AI provider to measure; ``figures`` is what the command prints as its
last line of JSON (always with ``n`` and ``seconds``). Bad input raises ``EvaluationError`` with a message a person
can act on.
"""

from __future__ import annotations

from collections.abc import Iterable

BATCH = 64  # items per provider.triage call: what the hub's triage task sends at once


class EvaluationError(ValueError):
    """The labelled rows cannot be evaluated as they are (unknown labels, empty text, nothing to measure)."""


def triage_all(texts: list[str], provider, batch: int = BATCH) -> list:
    """Triage ``texts`` as the hub does: ``TriageRequest``s in batches, the provider embedding them itself."""
    from ai.types import TriageRequest

    results = []
    for start in range(0, len(texts), batch):
        chunk = [TriageRequest(text=text) for text in texts[start : start + batch]]
        results.extend(provider.triage(chunk))
    return results


def f1_table(gold: list[str], predicted: list[str], labels: Iterable[str]) -> dict[str, dict[str, float]]:
    """Precision, recall, F1 and support per label (0 when undefined, as scikit-learn's ``zero_division=0``)."""
    table = {}
    for label in labels:
        hits = sum(1 for g, p in zip(gold, predicted, strict=True) if g == p == label)
        said = sum(1 for p in predicted if p == label)
        real = sum(1 for g in gold if g == label)
        precision = hits / said if said else 0.0
        recall = hits / real if real else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        table[label] = {"precision": precision, "recall": recall, "f1": f1, "support": real}
    return table


def confusion_text(gold: list[str], predicted: list[str], rows: list[str], columns: list[str]) -> str:
    """A confusion matrix as text: one row per true label, one column per predicted label."""
    width = max(8, *(len(label) for label in rows + columns)) + 1
    lines = ["true \\ predicted".ljust(width) + "".join(label.rjust(width) for label in columns)]
    for truth in rows:
        counts = [sum(1 for g, p in zip(gold, predicted, strict=True) if g == truth and p == c) for c in columns]
        lines.append(truth.ljust(width) + "".join(str(count).rjust(width) for count in counts))
    return "\n".join(lines)
