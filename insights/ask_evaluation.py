"""The figures ``manage.py evaluate_ask`` reports for Ask the hub's retrieval: pure functions, no database.

An item is relevant to a query when their labels match (binary relevance). Each query's ranking is the list of
relevance flags of what retrieval returned, best first; ``relevant`` is how many relevant items the corpus holds
(recall and the ideal DCG need it, the ranking alone cannot tell).

- nDCG@k: DCG = Σ rel_i / log2(i + 1) over the first k ranks (i from 1), divided by the DCG of a perfect ranking
  (min(k, relevant) relevant items first).
- P@k: relevant share of the first k ranks (k in the denominator even when fewer came back: a short answer is not a
  precise one).
- recall@k: relevant items in the first k ranks ÷ all relevant items.
- MRR: 1 / rank of the first relevant item (0 when none came back), averaged.
- Abstention AUC: the probability that an on-topic query's evidence strength is above an off-topic one's (ties count
  half): the Mann–Whitney U statistic ÷ (n_on × n_off). 1.0 means some threshold separates them all.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


def dcg_at_k(ranking: Sequence[bool], k: int = 10) -> float:
    return sum(1.0 / math.log2(rank + 1) for rank, relevant in enumerate(ranking[:k], start=1) if relevant)


def ndcg_at_k(ranking: Sequence[bool], relevant: int, k: int = 10) -> float:
    """DCG of ``ranking`` ÷ the DCG of the best ranking possible with ``relevant`` relevant items; 0 when none."""
    ideal = dcg_at_k([True] * min(k, relevant), k)
    return dcg_at_k(ranking, k) / ideal if ideal else 0.0


def precision_at_k(ranking: Sequence[bool], k: int = 10) -> float:
    return sum(1 for relevant in ranking[:k] if relevant) / k


def recall_at_k(ranking: Sequence[bool], relevant: int, k: int = 50) -> float:
    return sum(1 for flag in ranking[:k] if flag) / relevant if relevant else 0.0


def reciprocal_rank(ranking: Sequence[bool]) -> float:
    return next((1.0 / rank for rank, relevant in enumerate(ranking, start=1) if relevant), 0.0)


def roc_auc(positives: Sequence[float], negatives: Sequence[float]) -> float:
    """P(a positive's score > a negative's), ties half: Mann–Whitney U ÷ (n₊ n₋). Needs both sides non-empty."""
    if not positives or not negatives:
        raise ValueError("AUC needs at least one positive and one negative score.")
    # Rank-sum form (average ranks for ties): O(n log n) rather than comparing every pair.
    scored = sorted([(score, 1) for score in positives] + [(score, 0) for score in negatives])
    rank_sum, start = 0.0, 0
    while start < len(scored):
        end = start
        while end + 1 < len(scored) and scored[end + 1][0] == scored[start][0]:
            end += 1
        average_rank = (start + end) / 2 + 1
        rank_sum += average_rank * sum(1 for index in range(start, end + 1) if scored[index][1])
        start = end + 1
    n_pos, n_neg = len(positives), len(negatives)
    return (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


@dataclass(frozen=True)
class QueryResult:
    """One query's outcome: its ranking (relevance flags, best first), the corpus' relevant count, the strength."""

    query: str
    label: str
    ranking: tuple[bool, ...]
    relevant: int
    strength: float
    abstained: bool

    @property
    def off_topic(self) -> bool:
        return self.label == OFF_TOPIC

    @property
    def ndcg(self) -> float:
        return ndcg_at_k(self.ranking, self.relevant, 10)


OFF_TOPIC = "none"


def summarise(results: Sequence[QueryResult], *, threshold: float) -> dict:
    """The figures over the on-topic queries, plus abstention over on- and off-topic ones (when both exist).

    ``share_under_0_5`` is the share of on-topic queries whose nDCG@10 is below 0.5 (the issue's "< 5 %" goal);
    ``abstain_accuracy`` is how many queries the fixed ``threshold`` put on the right side (answered on-topic,
    declined off-topic), with the two kinds of mistakes counted apart.
    """
    on = [result for result in results if not result.off_topic]
    off = [result for result in results if result.off_topic]
    figures: dict = {"n": len(results), "n_on_topic": len(on), "n_off_topic": len(off)}
    if on:
        figures |= {
            "ndcg_at_10": _mean([ndcg_at_k(r.ranking, r.relevant, 10) for r in on]),
            "precision_at_10": _mean([precision_at_k(r.ranking, 10) for r in on]),
            "recall_at_50": _mean([recall_at_k(r.ranking, r.relevant, 50) for r in on]),
            "mrr": _mean([reciprocal_rank(r.ranking) for r in on]),
            "share_under_0_5": _mean([1.0 if r.ndcg < 0.5 else 0.0 for r in on]),
            "min_on_topic_strength": round(min(r.strength for r in on), 4),
        }
    if off:
        figures["max_off_topic_strength"] = round(max(r.strength for r in off), 4)
    if on and off:
        figures["abstain_auc"] = round(roc_auc([r.strength for r in on], [r.strength for r in off]), 4)
        figures["abstain_threshold"] = threshold
        figures["on_topic_abstained"] = sum(1 for r in on if r.abstained)
        figures["off_topic_answered"] = sum(1 for r in off if not r.abstained)
        right = sum(1 for r in on if not r.abstained) + sum(1 for r in off if r.abstained)
        figures["abstain_accuracy"] = round(right / len(results), 4)
    return figures


def _mean(values: Sequence[float]) -> float:
    return round(sum(values) / len(values), 4)
