"""How much a segment's feedback can be trusted (seed 001, "Statistical Significance by Segment").

Two rules: seed 001's table (segment size → minimum data points → confidence), and a Wilson score interval for
the share of a segment's accounts that asked, which stays honest on small samples where p ± 1.96·√(p(1−p)/n) lies.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# Seed 001: (segment size from, minimum data points, confidence level). Sizes under 10 are anecdotes.
SIGNIFICANCE_TABLE = [
    (1000, 100, "~95% confidence"),
    (200, 50, "~90% confidence"),
    (50, 15, "~80% confidence"),
    (10, 5, "Directional only"),
]
Z_95 = 1.959964


@dataclass(frozen=True)
class Significance:
    """Seed 001's verdict for one segment."""

    minimum: int  # data points the segment needs
    confidence: str  # what the data points allow when there are enough
    enough: bool

    @property
    def label(self) -> str:
        return self.confidence if self.enough else f"Under-represented: needs {self.minimum}+ data points"


def significance(*, segment_size: int, data_points: int) -> Significance:
    """Seed 001's row for a segment of ``segment_size`` accounts holding ``data_points`` pieces of feedback."""
    for size_from, minimum, confidence in SIGNIFICANCE_TABLE:
        if segment_size >= size_from:
            return Significance(minimum=minimum, confidence=confidence, enough=data_points >= minimum)
    return Significance(minimum=5, confidence="Anecdotal (segment under 10 accounts)", enough=False)


def wilson_interval(successes: int, trials: int, *, z: float = Z_95) -> tuple[float, float]:
    """The Wilson score interval (default 95%) of the proportion ``successes / trials``; (0, 1) with no trials."""
    if trials <= 0:
        return 0.0, 1.0
    if not 0 <= successes <= trials:
        raise ValueError(f"successes must be between 0 and trials ({successes} of {trials})")
    p = successes / trials
    z2 = z * z
    centre = p + z2 / (2 * trials)
    margin = z * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials))
    denominator = 1 + z2 / trials
    return max(0.0, (centre - margin) / denominator), min(1.0, (centre + margin) / denominator)
