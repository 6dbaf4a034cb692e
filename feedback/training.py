"""Retraining the offline category classifier from the PMs' corrections (issue 8; seed 002 "Build a feedback loop").

Examples: the shipped seed set (``ai.classifier.seed_examples``) plus, for every item whose category a person set
(``"category" in human_fields``: a correction logged as a ``FieldOverride``, a category chosen for an item triage
could not read, a labelled import), its text with that category. A correction weighs ``CORRECTION_WEIGHT`` seed
examples: there are few of them and they are this hub's own feedback.

Each run fingerprints the corrections; when they are those of the active version, nothing is trained. Otherwise a
model is trained on 80 % of the examples (a split fixed by each text's hash) and measured on the other 20 %; the
model trained on all of them is saved as a new ``ClassifierVersion`` and activated. Triage loads it on its next
batch (``feedback.triage.use_active_classifier``).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

from django.db import transaction

from feedback.models import ClassifierVersion, FeedbackEmbedding, FeedbackItem
from feedback.services import active_embedding_space, content_hash, embedding_text

logger = logging.getLogger(__name__)

CORRECTION_WEIGHT = 5.0
HELD_OUT_PERCENT = 20
MAX_CORRECTIONS = 50_000  # the newest corrections a run learns from: bounds a run's memory and time


@dataclass(frozen=True)
class RetrainResult:
    """What a retraining run did: the version now active, and whether it trained one."""

    trained: bool
    version: ClassifierVersion | None
    message: str


def corrections() -> list[tuple[int, str, str]]:
    """(item id, text, category) of the items whose category a person set, newest first."""
    rows = (
        FeedbackItem.objects.filter(human_fields__contains=["category"])
        .exclude(category="")
        .order_by("-updated_at", "-id")
        .values_list("pk", "verbatim", "category")[:MAX_CORRECTIONS]
    )
    return [(pk, embedding_text(FeedbackItem(verbatim=text)), category) for pk, text, category in rows]


def fingerprint(rows: list[tuple[int, str, str]]) -> str:
    """What the corrections are: the same items, texts and categories give the same fingerprint."""
    digest = hashlib.sha256()
    for pk, text, category in sorted(rows):
        digest.update(f"{pk}\x1f{content_hash(text)}\x1f{category}\x1e".encode())
    return digest.hexdigest()


def _seed_vectors(texts: list[str]) -> list:
    """The seed examples' vectors, from the embeddings shipped with the seed (``ai.classifier.seed_vectors``)."""
    from ai import classifier

    by_text = dict(zip(classifier.all_seed_texts(), classifier.seed_vectors(), strict=True))
    return [by_text[text] for text in texts]


def _held_out(text: str) -> bool:
    return int(hashlib.sha256(text.encode()).hexdigest()[:8], 16) % 100 < HELD_OUT_PERCENT


def _vectors(rows: list[tuple[int, str, str]], provider) -> list[list[float]]:
    """The corrections' vectors: the stored ones of the offline space, the rest embedded."""
    space = active_embedding_space(provider=provider)
    stored = {
        pk: (list(vector), digest)
        for pk, vector, digest in FeedbackEmbedding.objects.filter(
            space=space, feedback_id__in=[pk for pk, _, _ in rows]
        ).values_list("feedback_id", "vector", "content_hash")
    }
    vectors: list[list[float] | None] = []
    missing = []
    for index, (pk, text, _) in enumerate(rows):
        vector, digest = stored.get(pk, (None, None))
        vectors.append(vector if digest == content_hash(text) else None)
        if vectors[-1] is None:
            missing.append(index)
    if missing:
        for index, vector in zip(missing, provider.embed([rows[i][1] for i in missing]), strict=True):
            vectors[index] = list(vector)
    return vectors


def _accuracy(model, texts: list[str], labels: list[str], vectors: list[list[float]]) -> float | None:
    """Share of held-out examples whose predicted category is their label ("other" counts any non bug/request)."""
    if not texts:
        return None
    predicted = [category for category, _ in model.predict(vectors, texts)]
    hits = sum(
        1
        for guess, label in zip(predicted, labels, strict=True)
        if guess == label or (label == "other" and guess not in ("bug", "feature_request", "improvement"))
    )
    return round(hits / len(texts), 4)


def queue_retraining() -> bool:
    """Send the retraining to a worker (``feedback.tasks.retrain_classifier``); False when the broker is unreachable."""
    from feedback import tasks

    try:
        tasks.retrain_classifier.delay()
    except Exception:  # noqa: BLE001 — kombu raises several kinds of connection errors; the caller says so plainly
        logger.warning("retraining not queued: broker unreachable", exc_info=True)
        return False
    return True


def retrain_classifier(*, force: bool = False, provider=None) -> RetrainResult:
    """Train a classifier on the seed set and the corrections, save it as a new active version; skipped when the
    corrections are those the active version learnt from (unless ``force``)."""
    from ai import classifier

    rows = corrections()
    mark = fingerprint(rows)
    active = ClassifierVersion.objects.filter(active=True).defer("blob").first()
    if not force and (
        (active is not None and active.metrics.get("fingerprint") == mark) or (active is None and not rows)
    ):
        name = active.version if active else "the shipped default"
        return RetrainResult(False, active, f"Nothing changed since {name}: not retrained.")
    if provider is None:
        from ai.providers import get_provider

        provider = get_provider("offline")
    seed_texts, seed_labels = classifier.seed_examples()
    texts = seed_texts + [text for _, text, _ in rows]
    labels = seed_labels + [category for _, _, category in rows]
    weights = [1.0] * len(seed_texts) + [CORRECTION_WEIGHT] * len(rows)
    vectors = _seed_vectors(seed_texts) + _vectors(rows, provider)
    held = [_held_out(text) for text in texts]
    train_index = [i for i, out in enumerate(held) if not out]
    test_index = [i for i, out in enumerate(held) if out]
    trial = classifier.train(
        [texts[i] for i in train_index],
        [labels[i] for i in train_index],
        [vectors[i] for i in train_index],
        weights=[weights[i] for i in train_index],
    )
    test_corrections = [i for i in test_index if i >= len(seed_texts)]
    metrics = {
        "fingerprint": mark,
        "held_out": len(test_index),
        "held_out_accuracy": _accuracy(
            trial, [texts[i] for i in test_index], [labels[i] for i in test_index], [vectors[i] for i in test_index]
        ),
        "held_out_corrections": len(test_corrections),
        "corrections_accuracy": _accuracy(
            trial,
            [texts[i] for i in test_corrections],
            [labels[i] for i in test_corrections],
            [vectors[i] for i in test_corrections],
        ),
    }
    model = classifier.train(texts, labels, vectors, weights=weights)
    with transaction.atomic():
        version, _ = ClassifierVersion.objects.update_or_create(
            version=model.version,
            defaults={
                "blob": model.to_bytes(),
                "n_examples": model.n_examples,
                "n_corrections": len(rows),
                "metrics": metrics,
            },
        )
        ClassifierVersion.objects.filter(active=True).exclude(pk=version.pk).update(active=False)
        ClassifierVersion.objects.filter(pk=version.pk).update(active=True)
        version.active = True
    return RetrainResult(
        True,
        version,
        f"Trained {version.version} on {model.n_examples:,} examples ({len(rows):,} corrections); "
        f"held-out accuracy {metrics['held_out_accuracy']}.",
    )
