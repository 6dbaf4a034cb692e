"""Theme clustering quality: cluster a labelled file's texts as the hub would and compare with the hand-made clusters.

``evaluate(rows, provider)`` takes rows of ``{"text": ..., "cluster": ...}`` (``evaluate_triage --task themes`` reads
them from a CSV), embeds the texts with ``provider`` (the hub's stored vectors come from the same call), clusters
them with ``ai.clustering.cluster`` without the number of clusters, and scores the result against the labels.

Noise (``-1``: an item the clustering left alone) counts as a cluster of its own, as a PM would leave it unthemed;
the labelled files have many single-item clusters too.
"""

from __future__ import annotations

import time
from collections import Counter

from ai.clustering import MAX_VECTORS, NOISE, cluster
from ai.evaluation import EvaluationError

SAMPLE_CLUSTERS = 5  # the largest clusters found, shown in the report
SAMPLE_TEXTS = 3


def _with_singletons(labels: list[int]) -> list[int]:
    """Labels where each noise item is a cluster of its own."""
    next_label = max(labels, default=-1) + 1
    result = []
    for label in labels:
        if label == NOISE:
            label, next_label = next_label, next_label + 1
        result.append(label)
    return result


def evaluate(rows: list[dict], provider) -> tuple[str, dict]:
    """Cluster ``rows``' texts and compare with their ``cluster`` labels: a readable report and the figures
    (``adjusted_rand``, ``v_measure``, ``n``, ``clusters_found``, ``clusters_true``, ``noise``, ``seconds``)."""
    from sklearn.metrics import adjusted_rand_score, homogeneity_completeness_v_measure

    started = time.perf_counter()
    texts = [str(row["text"]).strip() for row in rows]
    truth = [str(row["cluster"]).strip() for row in rows]
    if len(texts) < 2:
        raise EvaluationError(f"clustering needs at least 2 rows, got {len(texts)}")
    if len(texts) > MAX_VECTORS:
        raise EvaluationError(f"at most {MAX_VECTORS:,} rows can be clustered at once, got {len(texts):,}: sample them")
    empty = [index + 2 for index, (text, label) in enumerate(zip(texts, truth, strict=True)) if not text or not label]
    if empty:
        raise EvaluationError(f"rows with an empty text or cluster (CSV lines {', '.join(map(str, empty[:10]))})")
    vectors = provider.embed(texts)
    found = cluster(vectors)
    scored = _with_singletons(found)
    adjusted_rand = float(adjusted_rand_score(truth, scored))
    homogeneity, completeness, v_measure = (float(x) for x in homogeneity_completeness_v_measure(truth, scored))
    true_sizes = Counter(truth)
    found_sizes = Counter(label for label in found if label != NOISE)
    figures = {
        "n": len(rows),
        "adjusted_rand": round(adjusted_rand, 4),
        "v_measure": round(v_measure, 4),
        "homogeneity": round(homogeneity, 4),
        "completeness": round(completeness, 4),
        "clusters_found": len(found_sizes),
        "clusters_true": len(true_sizes),
        "clusters_true_2_plus": sum(1 for size in true_sizes.values() if size >= 2),
        "noise": sum(1 for label in found if label == NOISE),
        "seconds": round(time.perf_counter() - started, 2),
    }
    lines = [
        f"Themes: {figures['n']} texts embedded by {getattr(provider, 'name', '?')}/{getattr(provider, 'model', '?')},"
        " clustered without the number of clusters.",
        f"  adjusted Rand {adjusted_rand:.3f}   V-measure {v_measure:.3f} "
        f"(homogeneity {homogeneity:.3f}, completeness {completeness:.3f})",
        f"  clusters found {figures['clusters_found']} (+ {figures['noise']} items left alone) vs "
        f"{figures['clusters_true']} labelled ({figures['clusters_true_2_plus']} with 2+ items)",
    ]
    if found_sizes:
        lines.append("  largest clusters found (size: labels inside, sample texts):")
    for label, size in found_sizes.most_common(SAMPLE_CLUSTERS):
        members = [index for index, value in enumerate(found) if value == label]
        inside = Counter(truth[index] for index in members).most_common(3)
        lines.append(f"    {size}: labels {', '.join(f'{name}×{count}' for name, count in inside)}")
        lines.extend(f"       - {texts[index][:100]!r}" for index in members[:SAMPLE_TEXTS])
    return "\n".join(lines), figures


MIN_THEME = (
    3  # a labelled cluster counts as an existing theme from this size (it keeps 2+ members when one is held out)
)


def match_scores(rows: list[dict], vectors) -> list[tuple[str | None, str | None, float]]:
    """Hold each item out of its labelled cluster and match it back as ``themes.matching`` would (cosine to each
    theme's centre): one (true theme or None, best theme, its cosine) per item.

    Clusters of ``MIN_THEME`` items or more are the existing themes; an item of a smaller cluster has no theme to
    join, so any match it gets is a wrong one.
    """
    import numpy as np

    matrix = np.asarray(vectors, dtype=np.float64)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    labels = [str(row["cluster"]) for row in rows]
    members: dict[str, list[int]] = {}
    for index, label in enumerate(labels):
        members.setdefault(label, []).append(index)
    themes = {label: indexes for label, indexes in members.items() if len(indexes) >= MIN_THEME}
    names = list(themes)
    sums = np.asarray([matrix[themes[name]].sum(axis=0) for name in names]) if names else np.zeros((0, 1))
    results = []
    for index, label in enumerate(labels):
        if not names:
            results.append((None, None, 0.0))
            continue
        centres = sums.copy()
        if label in themes:
            centres[names.index(label)] -= matrix[index]  # held out of its own theme
        centres /= np.linalg.norm(centres, axis=1, keepdims=True)
        similarity = centres @ matrix[index]
        best = int(similarity.argmax())
        results.append((label if label in themes else None, names[best], float(similarity[best])))
    return results


def matching_table(scores: list[tuple[str | None, str | None, float]], thresholds) -> list[dict]:
    """Precision (right theme among items matched), recall (items matched to their theme among those that have one)
    and F1 at each threshold."""
    table = []
    having = sum(1 for truth, _, _ in scores if truth is not None)
    for threshold in thresholds:
        matched = [(truth, best) for truth, best, similarity in scores if similarity >= threshold]
        right = sum(1 for truth, best in matched if truth == best)
        precision = right / len(matched) if matched else 1.0
        recall = right / having if having else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        table.append(
            {
                "threshold": round(float(threshold), 3),
                "precision": round(precision, 3),
                "recall": round(recall, 3),
                "f1": round(f1, 3),
                "matched": len(matched),
            }
        )
    return table
