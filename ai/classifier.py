"""The offline category classifier: logistic regression on the offline embeddings plus a few lexical cues.

It learns from labelled feedback: the shipped seed set (``ai/seed/``: real app reviews labelled bug /
feature_request / other) plus every correction a PM makes (texts with hub categories). Plain numpy, no other
dependency: one-vs-rest logistic regressions fitted by Newton's method (L2-regularised, classes balanced), so
training is deterministic and takes about a second on a few thousand examples.

Features: the 384-d MiniLM vector and ``ai.lexicon.cue_features`` (request/bug/positive/negative cue counts, '?',
'!', length), which are language-general and carry most of what transfers from one app to another. Two heads are
fitted: one on vector + cues (used when the texts are given, as the provider does) and one on the vector alone
(``predict(vectors)`` without texts).

The seed's "other" (praise, opinion, off-topic) is not a hub category: ``predict`` turns it into one with
``ai.lexicon.refine_other`` (churn cues, question, pain, then the sentiment's band), and a predicted feature request
into ``improvement`` or ``feature_request`` with ``ai.lexicon.refine_request``. A class a PM taught it (say
``praise``) is a class of its own and is returned as is.

The pretrained default (``ai/seed/classifier.npz``) is what ``build_default()`` writes; ``default()`` loads it.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np

from ai import lexicon, seed_set
from ai.types import CATEGORIES

DEFAULT_PATH = seed_set.SEED_DIR / "classifier.npz"
SEED_VECTORS_PATH = seed_set.SEED_DIR / "seed_vectors.npz"
OTHER = seed_set.OTHER  # "neither a bug nor a request": never returned, always refined
LABELS = frozenset(CATEGORIES) | {OTHER}
BALANCE = 0.5  # class balancing exponent (see _fit)
L2 = 2.0  # the regularisation chosen by cross-language validation (train en -> test fr and back): see ai/seed/README


def seed_examples() -> tuple[list[str], list[str]]:
    """The shipped seed set: (texts, labels) with labels bug / feature_request / other; rows with two flags are left
    out (``seed_set.category_label``): a label the model must learn should not be ambiguous."""
    texts, labels = [], []
    for row in seed_set.seed_rows():
        if (label := seed_set.category_label(row)) is not None:
            texts.append(row["data"])
            labels.append(label)
    return texts, labels


def _fit_binary(features: np.ndarray, target: np.ndarray, weights: np.ndarray, l2: float) -> np.ndarray:
    """One logistic regression by Newton's method, each step solved by conjugate gradients on Hessian-vector
    products (no d×d Hessian: a step costs a few matrix-vector products). The last column is the unpenalised bias."""
    penalty = np.full(features.shape[1], l2)
    penalty[-1] = 0.0
    beta = np.zeros(features.shape[1])
    first = None
    for _ in range(30):
        p = 1.0 / (1.0 + np.exp(-np.einsum("ij,j->i", features, beta)))
        gradient = np.einsum("ij,i->j", features, weights * (p - target)) + penalty * beta
        first = np.abs(gradient).max() if first is None else first
        if np.abs(gradient).max() < 1e-7 * first:  # converged: probabilities move < 1e-6
            break
        curvature = weights * p * (1 - p)

        def hessian_times(vector, curvature=curvature):
            # einsum, not BLAS: a multi-threaded BLAS matrix-vector product is 10x slower on a busy 2-core machine
            return np.einsum("ij,i->j", features, curvature * np.einsum("ij,j->i", features, vector)) + penalty * vector

        inverse_diagonal = 1.0 / (np.einsum("ij,ij,i->j", features, features, curvature) + penalty + 1e-12)
        step, residual = np.zeros_like(beta), gradient.copy()
        preconditioned = inverse_diagonal * residual
        direction, norm = preconditioned.copy(), residual @ preconditioned
        for _ in range(200):  # conjugate gradients, Jacobi-preconditioned
            product = hessian_times(direction)
            alpha = norm / (direction @ product)
            step += alpha * direction
            residual -= alpha * product
            if residual @ residual < 1e-6 * (gradient @ gradient):  # inexact Newton: the outer loop converges
                break
            preconditioned = inverse_diagonal * residual
            new_norm = residual @ preconditioned
            direction, norm = preconditioned + (new_norm / norm) * direction, new_norm
        beta -= step
    return beta


def _fit(features: np.ndarray, labels: np.ndarray, classes: list[str], weights: np.ndarray, l2: float) -> np.ndarray:
    """One column of weights per class (one-vs-rest), classes partly balanced (``BALANCE``: 0 none, 1 equal totals)."""
    design = np.hstack([features, np.ones((len(features), 1))]).astype(np.float64)
    balanced = weights.astype(np.float64).copy()
    for label in classes:
        mask = labels == label
        balanced[mask] *= (len(labels) / (len(classes) * weights[mask].sum())) ** BALANCE
    return np.stack([_fit_binary(design, (labels == c).astype(float), balanced, l2) for c in classes], axis=1)


def _probabilities(features: np.ndarray, weights: np.ndarray) -> np.ndarray:
    scores = np.hstack([features, np.ones((len(features), 1))]) @ weights
    p = 1.0 / (1.0 + np.exp(-scores))
    return p / p.sum(axis=1, keepdims=True)


@dataclass
class Classifier:
    """A trained category model: ``predict`` gives (hub category, probability) per vector."""

    labels: list[str]
    text_weights: np.ndarray  # (384 + len(CUE_FEATURES) + 1, len(labels))
    vector_weights: np.ndarray  # (384 + 1, len(labels))
    n_examples: int
    trained_on: str = field(default_factory=lambda: date.today().isoformat())

    @property
    def version(self) -> str:
        """``clf-<date>-<hash of the weights>``: the same weights always give the same version."""
        digest = hashlib.sha256()
        for part in (",".join(self.labels).encode(), self.text_weights.tobytes(), self.vector_weights.tobytes()):
            digest.update(part)
        return f"clf-{self.trained_on}-{digest.hexdigest()[:10]}"

    def probabilities(self, vectors, texts: list[str] | None = None) -> np.ndarray:
        """Class probabilities (rows sum to 1, columns in ``labels`` order)."""
        matrix = np.asarray(vectors, dtype=np.float32).reshape(-1, self.vector_weights.shape[0] - 1)
        if texts is None:
            return _probabilities(matrix, self.vector_weights)
        return _probabilities(np.hstack([matrix, lexicon.cue_features(texts)]), self.text_weights)

    def predict(
        self, vectors, texts: list[str] | None = None, sentiments: list[float] | None = None
    ) -> list[tuple[str, float]]:
        """(hub category, probability of the predicted class) per vector.

        With ``texts`` the cues are used too, and "other" is refined by the text's cues and its sentiment
        (``sentiments``, or the shipped sentiment scorer's); without texts, "other" is refined by the sentiment
        the scorer reads from the vector alone.
        """
        probabilities = self.probabilities(vectors, texts)
        best = probabilities.argmax(axis=1)
        texts_or_blank = [""] * len(best) if texts is None else list(texts)
        if sentiments is None and OTHER in self.labels:
            from ai import sentiment

            sentiments = sentiment.score(vectors, texts)
        results = []
        for row, index in enumerate(best):
            label, probability = self.labels[index], float(probabilities[row, index])
            if label == OTHER:
                label = lexicon.refine_other(texts_or_blank[row], sentiments[row])
            elif label == "feature_request" and texts is not None:
                if probability < 0.5 and lexicon.churn_cues(texts_or_blank[row]):
                    label = "churn_signal"  # a hesitant "request" that says the customer is leaving
                else:
                    label = lexicon.refine_request(texts_or_blank[row])
            results.append((label, probability))
        return results

    def to_bytes(self) -> bytes:
        """The model as an .npz blob (what the hub stores per trained version)."""
        buffer = io.BytesIO()
        np.savez_compressed(
            buffer,
            labels=np.array(self.labels),
            text_weights=self.text_weights.astype(np.float32),
            vector_weights=self.vector_weights.astype(np.float32),
            n_examples=np.array(self.n_examples),
            trained_on=np.array(self.trained_on),
        )
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, blob: bytes) -> Classifier:
        """The model ``to_bytes`` wrote."""
        with np.load(io.BytesIO(blob), allow_pickle=False) as data:
            return cls(
                labels=[str(label) for label in data["labels"]],
                text_weights=data["text_weights"].astype(np.float32),
                vector_weights=data["vector_weights"].astype(np.float32),
                n_examples=int(data["n_examples"]),
                trained_on=str(data["trained_on"]),
            )


def _embed(texts: list[str]) -> list[list[float]]:
    """The texts' vectors from the process's offline provider (one model load per process)."""
    from ai.providers import get_provider

    return get_provider("offline").embed(texts) if texts else []


def train(
    texts: list[str],
    labels: list[str],
    vectors: list[list[float]] | None = None,
    *,
    weights: list[float] | None = None,
    l2: float = L2,
    trained_on: str | None = None,
) -> Classifier:
    """A classifier trained on ``texts`` with ``labels`` (hub categories, or "other" for the seed's bucket).

    ``vectors`` are the texts' offline embeddings (embedded here when not given). ``weights`` (default 1 each) lets
    a PM's correction count more than a seed example. Every class needs at least one example; two are required.
    """
    if len(texts) != len(labels) or (vectors is not None and len(vectors) != len(texts)):
        raise ValueError("texts, labels and vectors must be of the same length")
    unknown = sorted(set(labels) - LABELS)
    if unknown:
        raise ValueError(f"unknown labels {unknown}: use hub categories ({', '.join(CATEGORIES)}) or 'other'")
    classes = sorted(set(labels))
    if len(classes) < 2:
        raise ValueError("a classifier needs examples of at least two categories")
    matrix = np.asarray(vectors if vectors is not None else _embed(list(texts)), dtype=np.float32)
    target = np.array(labels)
    sample = np.ones(len(labels)) if weights is None else np.asarray(weights, dtype=np.float64)
    text_weights = _fit(np.hstack([matrix, lexicon.cue_features(list(texts))]), target, classes, sample, l2)
    vector_weights = _fit(matrix, target, classes, sample, l2)
    return Classifier(
        labels=classes,
        text_weights=text_weights.astype(np.float32),
        vector_weights=vector_weights.astype(np.float32),
        n_examples=len(labels),
        trained_on=trained_on or date.today().isoformat(),
    )


_DEFAULT: Classifier | None = None


def default() -> Classifier:
    """The pretrained classifier shipped in ``ai/seed/classifier.npz`` (loaded once per process)."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Classifier.from_bytes(DEFAULT_PATH.read_bytes())
    return _DEFAULT


def all_seed_texts() -> list[str]:
    """Every review of the seed files, in file order (the rows ``seed_vectors()`` are aligned with)."""
    return [row["data"] for row in seed_set.seed_rows()]


def quantise(vectors) -> tuple[np.ndarray, np.ndarray]:
    """int8 codes and one float scale per vector (error < 0.5 % of a component's range: cosine > 0.999)."""
    matrix = np.asarray(vectors, dtype=np.float32)
    scales = np.abs(matrix).max(axis=1, keepdims=True) / 127.0
    scales[scales == 0] = 1.0
    return np.round(matrix / scales).astype(np.int8), scales.astype(np.float32)


def store_seed_vectors(vectors, path: Path = SEED_VECTORS_PATH) -> np.ndarray:
    """Write the seed texts' embeddings (``all_seed_texts()`` order), int8; returns them as stored (dequantised)."""
    codes, scales = quantise(vectors)
    np.savez_compressed(path, codes=codes, scales=scales)
    return codes.astype(np.float32) * scales


def seed_vectors(path: Path = SEED_VECTORS_PATH) -> np.ndarray:
    """The stored seed embeddings, so retraining the shipped models needs no embedding run (seconds, not minutes)."""
    with np.load(path, allow_pickle=False) as data:
        return data["codes"].astype(np.float32) * data["scales"]


def build_default(path: Path = DEFAULT_PATH, vectors=None) -> Classifier:
    """Train on the seed set and write the shipped default (``manage.py build_triage_seed`` calls this).

    ``vectors`` are the embeddings of ``all_seed_texts()`` (default: the stored ``seed_vectors()``). The model's
    date is the seed's release date, not today's, so rebuilding the same weights gives the same version.
    """
    vectors_by_text = dict(zip(all_seed_texts(), seed_vectors() if vectors is None else vectors, strict=True))
    texts, labels = seed_examples()
    model = train(texts, labels, [vectors_by_text[text] for text in texts], trained_on=SEED_RELEASE)
    path.write_bytes(model.to_bytes())
    return model


SEED_RELEASE = "2026-12-05"
