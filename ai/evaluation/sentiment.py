"""Sentiment quality: triage labelled texts as the hub would and compare the scores with the labels.

The label of a score is the hub's (``feedback.choices.Sentiment.for_score``: ≥ 0.5 positive, ≤ -0.3 negative,
neutral between). ``direction_accuracy`` looks at the positive and negative items only and asks whether the score
points the right way (its sign: > 0 for a positive item, < 0 for a negative one); ``polar_label_accuracy`` asks the
stricter question whether the stored label itself is right on those items; ``accuracy`` is the label's accuracy over
all three classes.
"""

from __future__ import annotations

import time

from ai.evaluation import EvaluationError, confusion_text, triage_all
from ai.sentiment import label_for

CLASSES = ("positive", "neutral", "negative")


def evaluate(rows: list[dict], provider) -> tuple[str, dict]:
    """Triage ``rows`` (``text``, ``sentiment``): a readable report and the figures (``direction_accuracy``,
    ``accuracy``, ``polar_label_accuracy``, ``n``, ``seconds``)."""
    if not rows:
        raise EvaluationError("no rows to evaluate")
    gold = [str(row.get("sentiment") or "").strip().lower() for row in rows]
    unknown = sorted(set(gold) - set(CLASSES))
    if unknown:
        raise EvaluationError(f"unknown sentiment labels {unknown}: use positive, neutral or negative")
    texts = [str(row.get("text") or "") for row in rows]
    started = time.perf_counter()
    results = triage_all(texts, provider)
    seconds = time.perf_counter() - started
    scores = [result.sentiment_score for result in results]
    predicted = [label_for(score) for score in scores]
    polar = [i for i, label in enumerate(gold) if label != "neutral"]
    right_way = sum(1 for i in polar if (scores[i] > 0) == (gold[i] == "positive") and scores[i] != 0)
    direction = right_way / len(polar) if polar else 0.0
    polar_labels = sum(1 for i in polar if predicted[i] == gold[i]) / len(polar) if polar else 0.0
    accuracy = sum(1 for g, p in zip(gold, predicted, strict=True) if g == p) / len(gold)
    figures = {
        "direction_accuracy": round(direction, 4),
        "accuracy": round(accuracy, 4),
        "polar_label_accuracy": round(polar_labels, 4),
        "n": len(rows),
        "polar_n": len(polar),
        "seconds": round(seconds, 2),
    }
    present = [label for label in CLASSES if label in set(gold) | set(predicted)]
    lines = [
        f"Sentiment: {len(rows)} items ({len(polar)} positive or negative), "
        f"scored by {provider.name} in {seconds:.1f} s",
        f"  direction accuracy (sign of the score, positive/negative items): {direction:.3f}",
        f"  label accuracy on positive/negative items: {polar_labels:.3f}",
        f"  3-class accuracy (bands ≥0.5 positive, ≤-0.3 negative): {accuracy:.3f}",
        "",
        "Confusion matrix (labels):",
        confusion_text(gold, predicted, present, present),
    ]
    return "\n".join(lines), figures
