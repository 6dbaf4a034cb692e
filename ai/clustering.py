"""Clustering feedback vectors into themes without being told how many there are.

``cluster(vectors)`` is complete-linkage agglomerative clustering on cosine distance, cut at a distance threshold:
every two members of a cluster are at most that far apart, so a cluster is one tight group (what a PM can name), and
the number of clusters follows from the data. Clusters smaller than ``min_size`` are noise (``-1``).

Sets of ``CENTER_FROM`` vectors or more are centred first (the set's mean removed, then renormalised): all feedback
about one product shares a large common direction that makes every pair look alike, and removing it separates the
topics. A smaller set has too few vectors for a stable mean, so it is clustered as it is, with its own threshold.

Measured on real labelled data (``python manage.py evaluate_triage --task themes --csv FILE``; figures in the
README, "Themes from embeddings"): against HDBSCAN, average and Ward linkage, affinity propagation, PCA whitening,
shared-nearest-neighbour distances and a TF-IDF blend, this scored the best mean adjusted Rand over minibar's
hand-made Garmin clusters (English, French, both) and a banking77 sample. Given the true number of clusters, the
best of these linkages does little better (Garmin 0.14-0.28 adjusted Rand, banking 0.48): on the Garmin reviews the
MiniLM vectors, not the cut, are the limit (English-only model; French and mixed-language sets score lowest).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np

NOISE = -1
# Cosine distance thresholds of the complete-linkage cut (measured; see the module docstring).
CENTERED_THRESHOLD = 0.9  # on centred vectors (sets of CENTER_FROM or more)
RAW_THRESHOLD = 0.6  # on the vectors as they are (smaller sets)
CENTER_FROM = 30
MAX_VECTORS = 10_000  # the pairwise distances take n² floats: callers bound their sets below this


def _as_unit_rows(vectors: Sequence[Sequence[float]] | np.ndarray) -> np.ndarray:
    """The vectors as a float64 matrix of unit rows (a zero row stays zero)."""
    matrix = np.asarray(vectors, dtype=np.float64)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1.0, norms)


def prepare(vectors: Sequence[Sequence[float]] | np.ndarray) -> tuple[np.ndarray, float]:
    """The vectors as clustered (centred for large sets) and the distance threshold that goes with them."""
    matrix = _as_unit_rows(vectors)
    if len(matrix) < CENTER_FROM:
        return matrix, RAW_THRESHOLD
    return _as_unit_rows(matrix - matrix.mean(axis=0)), CENTERED_THRESHOLD


def cluster(
    vectors: Sequence[Sequence[float]] | np.ndarray, *, min_size: int = 2, threshold: float | None = None
) -> list[int]:
    """One cluster label per vector, in order: ``0`` is the largest cluster, ``-1`` noise (a cluster under
    ``min_size``). The number of clusters is not given: it follows from the distance threshold.

    ``threshold`` overrides the measured cut (a cosine distance on the prepared vectors, see ``prepare``).
    """
    count = len(vectors)
    if count > MAX_VECTORS:
        raise ValueError(f"cluster() takes at most {MAX_VECTORS} vectors (got {count}): sample or window them first.")
    if count < max(min_size, 2):
        return [NOISE] * count
    from sklearn.cluster import AgglomerativeClustering

    matrix, cut = prepare(vectors)
    raw = AgglomerativeClustering(
        n_clusters=None, metric="cosine", linkage="complete", distance_threshold=threshold or cut
    ).fit_predict(matrix)
    sizes = Counter(raw.tolist())
    kept = [label for label, size in sizes.items() if size >= min_size]
    kept.sort(key=lambda label: (-sizes[label], label))
    renumber = {label: index for index, label in enumerate(kept)}
    return [renumber.get(label, NOISE) for label in raw.tolist()]


def centroid(vectors: Sequence[Sequence[float]] | np.ndarray) -> np.ndarray:
    """The unit-length mean direction of ``vectors``."""
    mean = _as_unit_rows(vectors).mean(axis=0)
    norm = np.linalg.norm(mean)
    return mean / norm if norm else mean


def cohesion(vectors: Sequence[Sequence[float]] | np.ndarray) -> float:
    """Mean cosine of the vectors to their centre (0..1 for real text; 1 when they are all the same)."""
    if len(vectors) == 0:
        return 0.0
    return float(np.clip((_as_unit_rows(vectors) @ centroid(vectors)).mean(), -1.0, 1.0))


def closest_to_centre(vectors: Sequence[Sequence[float]] | np.ndarray, *, limit: int) -> list[int]:
    """Indexes of the ``limit`` vectors nearest their centre, nearest first (a cluster's most typical members)."""
    if len(vectors) == 0:
        return []
    similarity = _as_unit_rows(vectors) @ centroid(vectors)
    return [int(index) for index in np.argsort(-similarity, kind="stable")[:limit]]
