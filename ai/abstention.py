"""Ask the hub's abstention ("not enough evidence"): the pure numbers behind choosing its threshold on one set of
questions and checking it on others, across phrasings of the same question (issue 13). No database, no model.

``insights.ask_retrieval`` calls the evidence strength the best cosine among the hits that pass the filters, and
abstains below ``ABSTAIN_BELOW``. This module is how that threshold is chosen and verified:

- ``expand``: each topic put into question templates mechanically ("What do customers say about {topic}?"), so the
  same topics are asked the way people phrase them, with no hand-written text per topic;
- ``choose_threshold``: the midpoint of the gap between on-topic and off-topic strengths of the set it is chosen on
  (the best-accuracy cut's midpoint when they overlap);
- ``confusion``: on a set it was NOT chosen on, how many on-topic questions it declines and off-topic ones it answers;
- ``background_z``: the alternative strength the issue proposed, the best cosine standardised against the question's
  own similarities to a fixed sample of the space ((best − mean) / std).

**What was measured** (``ai/eval_data/ask_phrasing/README.md``, offline MiniLM; 7 templates; banking77: 77 intents
and 40 off-topic topics; the demo feedback: 20 theme topics and 30 off-topic topics). The raw best cosine keeps an
abstention AUC of 1.000 on banking77 under every template (on-topic minimum .537 to .684, off-topic maximum .458 to
.526 depending on the template), so phrasing does not move the threshold there. ``background_z`` is much worse
(AUC .53 on banking77, .71 on the demo): an off-topic question resembles nothing, so its background is narrow and
its standard deviation small, which inflates its z; an on-topic one is near a whole region of the space, which widens
its background. Best minus the background mean (.999 / .891), the mean of the top k (k = 3, 5, 10: .92 to .93 on the
demo) and the cosine to the centroid of the top hits (.91 to .93) were no better than the raw best (1.000 / .926).
So the strength stays the raw best cosine; ``background_z`` stays here so ``evaluate_ask`` can print it beside the
raw strength and anyone can re-check that finding on new data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

TOPIC = "{topic}"


def expand(topics: Sequence[tuple[str, str]], templates: Sequence[str]) -> list[tuple[str, str, int]]:
    """(question, label, template index) for every topic in every template, template by template. A template holds
    ``{topic}`` once; ``"{topic}"`` alone asks the topic as it is."""
    bad = [template for template in templates if template.count(TOPIC) != 1]
    if bad:
        raise ValueError(f"A template needs {TOPIC} exactly once: {bad[0]!r}")
    return [
        (template.replace(TOPIC, topic), label, index)
        for index, template in enumerate(templates)
        for topic, label in topics
    ]


def choose_threshold(on_topic: Sequence[float], off_topic: Sequence[float]) -> float:
    """The strength below which to abstain, chosen on these questions.

    Separable (every on-topic strength above every off-topic one): the midpoint of the gap, the cut farthest from
    both sides. Otherwise the cut that puts the most questions on the right side (ties: the lowest such cut), taken
    halfway between the strength it starts at and the one below it.
    """
    on, off = np.asarray(on_topic, dtype=float), np.asarray(off_topic, dtype=float)
    if not len(on) or not len(off):
        raise ValueError("Choosing a threshold needs on-topic and off-topic strengths.")
    if on.min() > off.max():
        return float((on.min() + off.max()) / 2)
    cuts = np.unique(np.concatenate([on, off]))
    right = [int((on >= cut).sum() + (off < cut).sum()) for cut in cuts]
    best = int(np.argmax(right))
    below = cuts[best - 1] if best else cuts[best]
    return float((cuts[best] + below) / 2)


@dataclass(frozen=True)
class Confusion:
    """How a fixed threshold did on a set: on-topic questions declined and off-topic ones answered, of how many."""

    threshold: float
    declined_on_topic: int
    on_topic: int
    answered_off_topic: int
    off_topic: int

    @property
    def errors(self) -> int:
        return self.declined_on_topic + self.answered_off_topic

    def __str__(self) -> str:
        return (
            f"declined {self.declined_on_topic}/{self.on_topic} on-topic, "
            f"answered {self.answered_off_topic}/{self.off_topic} off-topic at {self.threshold:.3f}"
        )


def confusion(on_topic: Sequence[float], off_topic: Sequence[float], threshold: float) -> Confusion:
    """A question abstains when its strength is below ``threshold`` (the rule of ``insights.ask_retrieval``)."""
    on, off = np.asarray(on_topic, dtype=float), np.asarray(off_topic, dtype=float)
    return Confusion(threshold, int((on < threshold).sum()), len(on), int((off >= threshold).sum()), len(off))


def background_z(best: float, query, background) -> float:
    """(best − mean) / std of the query's cosines to ``background`` (rows: unit vectors of the same space).

    ``query`` is a unit vector. A background of fewer than two rows, or with no spread, has no scale: 0.0.
    """
    sample = np.asarray(background, dtype=np.float32)
    if sample.ndim != 2 or len(sample) < 2:
        return 0.0
    similarities = sample @ np.asarray(query, dtype=np.float32)
    spread = float(similarities.std())
    return (best - float(similarities.mean())) / spread if spread > 1e-9 else 0.0


def evenly_spaced(count: int, size: int) -> list[int]:
    """``size`` positions spread evenly over ``count`` rows (all of them when there are fewer): a background
    sample that is the same on every run, with no random seed to keep."""
    if count <= size:
        return list(range(count))
    return [int(round(position)) for position in np.linspace(0, count - 1, size)]
