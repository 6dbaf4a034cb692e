"""Duplicate detection quality: score labelled pairs by the cosine of their vectors, as the hub's lookup does.

``evaluate(rows, provider)`` takes rows of ``{"text_a": ..., "text_b": ..., "is_duplicate": 1/0}``
(``evaluate_triage --task duplicates`` reads them from a CSV), embeds every distinct text once with ``provider``
(unit vectors: the cosine is a dot product) and measures:

- ``average_precision``: how well the cosine ranks the duplicate pairs above the others (threshold-free; the
  area under the precision/recall curve, computed as scikit-learn's ``average_precision_score`` does);
- ``precision``, ``recall`` and ``f1_at_threshold`` at the threshold the hub uses for the provider's space
  (``settings.DUPLICATE_THRESHOLDS[provider.name]``), and the threshold with the best F1 on these pairs, for
  calibration.
"""

from __future__ import annotations

import time

import numpy as np
from django.conf import settings

from ai.evaluation import EvaluationError

SWEEP = [round(0.50 + 0.02 * step, 2) for step in range(23)]  # 0.50 … 0.94: the thresholds the report tabulates


YES, NO = {"1", "true", "yes", "y", "t"}, {"0", "false", "no", "n", "f"}


def labels_of(rows: list[dict]) -> np.ndarray:
    """The rows' ``is_duplicate`` as 1/0; raises EvaluationError naming the CSV lines of bad rows (line 1: header)."""
    bad_label = [n + 2 for n, row in enumerate(rows) if str(row["is_duplicate"]).strip().lower() not in YES | NO]
    if bad_label:
        raise EvaluationError(f"is_duplicate must be 1 or 0 (CSV lines {', '.join(map(str, bad_label[:10]))})")
    empty = [n + 2 for n, row in enumerate(rows) if not str(row["text_a"]).strip() or not str(row["text_b"]).strip()]
    if empty:
        raise EvaluationError(f"rows with an empty text_a or text_b (CSV lines {', '.join(map(str, empty[:10]))})")
    labels = np.asarray([1 if str(row["is_duplicate"]).strip().lower() in YES else 0 for row in rows], dtype=np.int64)
    if not labels.any():
        raise EvaluationError("no pair is marked is_duplicate=1: average precision needs at least one duplicate")
    return labels


def average_precision(labels: np.ndarray, scores: np.ndarray) -> float:
    """Σ (Rₙ − Rₙ₋₁) Pₙ over the distinct score thresholds, highest first (scikit-learn's definition)."""
    positives = int(labels.sum())
    if positives == 0:
        return 0.0
    order = np.argsort(-scores, kind="mergesort")
    scores, labels = scores[order], labels[order]
    last_of_tie = np.r_[np.flatnonzero(np.diff(scores)), len(scores) - 1]
    true_hits = np.cumsum(labels)[last_of_tie]
    precision = true_hits / (last_of_tie + 1)
    recall = true_hits / positives
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def at_threshold(labels: np.ndarray, scores: np.ndarray, threshold: float) -> dict:
    """Precision, recall and F1 of "a pair is a duplicate when its cosine ≥ ``threshold``"."""
    predicted = scores >= threshold
    hits = int((predicted & (labels == 1)).sum())
    precision = hits / int(predicted.sum()) if predicted.any() else 0.0
    recall = hits / int(labels.sum()) if labels.any() else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"threshold": threshold, "precision": precision, "recall": recall, "f1": f1, "flagged": int(predicted.sum())}


def cosines(rows: list[dict], provider) -> np.ndarray:
    """The cosine of each row's two texts (each distinct text embedded once)."""
    texts = sorted({str(row[key]) for row in rows for key in ("text_a", "text_b")})
    if not texts:
        return np.zeros(0)
    where = {text: index for index, text in enumerate(texts)}
    vectors = np.asarray(provider.embed(texts), dtype=np.float64)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    a = vectors[[where[str(row["text_a"])] for row in rows]]
    b = vectors[[where[str(row["text_b"])] for row in rows]]
    return np.einsum("ij,ij->i", a, b)


def evaluate(rows: list[dict], provider) -> tuple[str, dict]:
    """Score ``rows``' pairs and compare with their ``is_duplicate`` labels: a readable report and the figures
    (``average_precision``, ``f1_at_threshold``, ``precision``, ``recall``, ``threshold``, ``best_f1``,
    ``best_threshold``, ``n``, ``positives``, ``seconds``)."""
    started = time.perf_counter()
    labels = labels_of(rows)
    scores = cosines(rows, provider)
    threshold = float(settings.DUPLICATE_THRESHOLDS[provider.name])
    configured = at_threshold(labels, scores, threshold)
    sweep = [at_threshold(labels, scores, value) for value in SWEEP]
    best = max(sweep, key=lambda row: row["f1"]) if rows else configured
    figures = {
        "n": len(rows),
        "positives": int(labels.sum()),
        "average_precision": round(average_precision(labels, scores), 4),
        "threshold": threshold,
        "f1_at_threshold": round(configured["f1"], 4),
        "precision": round(configured["precision"], 4),
        "recall": round(configured["recall"], 4),
        "best_f1": round(best["f1"], 4),
        "best_threshold": best["threshold"],
        "seconds": round(time.perf_counter() - started, 2),
    }
    return _report(figures, sweep, provider), figures


def _report(figures: dict, sweep: list[dict], provider) -> str:
    lines = [
        f"Duplicates: {figures['n']} pairs, {figures['positives']} duplicates, {provider.name} vectors "
        f"({getattr(provider, 'model', '')})",
        f"Average precision of the cosine: {figures['average_precision']:.3f}",
        f"At the configured threshold {figures['threshold']:.2f}: precision {figures['precision']:.3f}, "
        f"recall {figures['recall']:.3f}, F1 {figures['f1_at_threshold']:.3f}",
        f"Best F1 on these pairs: {figures['best_f1']:.3f} at {figures['best_threshold']:.2f}",
        "",
        f"{'cosine ≥':>9} {'flagged':>8} {'precision':>10} {'recall':>7} {'F1':>6}",
    ]
    for row in sweep:
        lines.append(
            f"{row['threshold']:>9.2f} {row['flagged']:>8} {row['precision']:>10.3f} {row['recall']:>7.3f} "
            f"{row['f1']:>6.3f}"
        )
    return "\n".join(lines)
