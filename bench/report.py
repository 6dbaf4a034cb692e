"""The table `make bench` prints, and the goals each row is checked against.

Goals: a changelist (``LIST``) answers in p95 ≤ 150 ms and median ≤ 100 ms with ≤ 8 queries; a role view, the
dashboard, a change page or the calendar (``VIEW``) in p95 ≤ 200 ms; and every page with a plain twin is at least
10× faster than it (the ratio of medians).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from bench.pages import LIST, Page
from bench.timing import Figures

LIST_P50_MS = 100
LIST_P95_MS = 150
LIST_QUERIES = 8
VIEW_P95_MS = 200
MIN_RATIO = 10

LABEL = 54
DASH = "—"


@dataclass
class Row:
    """One page's figures on both sides (``plain`` None: no plain twin; ``error``: what failed)."""

    page: Page
    ours: Figures | None
    plain: Figures | None = None
    error: str = ""

    @property
    def ratio(self) -> float | None:
        """Plain median ÷ ours (at least, when the plain request was capped); None when there is nothing to divide."""
        if self.ours is None or self.plain is None:
            return None
        plain_ms = self.plain.capped_at * 1000 if self.plain.capped_at else self.plain.p50
        return plain_ms / self.ours.p50


def _ms(value: float) -> str:
    return f"{value:,.0f}"


def _over(value: float, goal: float) -> str:
    """``value`` against ``goal`` in ms: "157 ms > 150 (+7)"; a margin under 1 ms keeps a decimal."""
    margin = value - goal
    return f"{value:,.1f} ms > {goal} (+{margin:.1f})" if margin < 1 else f"{_ms(value)} ms > {goal} (+{_ms(margin)})"


def _side(figures: Figures | None, *, width: int) -> str:
    if figures is None:
        return f"{DASH:>8} {DASH:>7} {DASH:>4} {DASH:>8}".rjust(width)
    if figures.capped_at:
        return f"{'> ' + format(figures.capped_at, 'g') + ' s':>16} {DASH:>4} {DASH:>8}".rjust(width)
    return f"{_ms(figures.p50):>8} {_ms(figures.p95):>7} {figures.queries:>4} {figures.html_kb:>8,.0f}".rjust(width)


def header() -> str:
    top = f"{'':{LABEL}} {'ours (FeedbackHub admin)':^30} │ {'plain (stock Django admin)':^30} │"
    names = f"{'page':{LABEL}} {'p50':>8} {'p95':>7} {'SQL':>4} {'HTML KB':>8} │ "
    names += f"{'p50':>8} {'p95':>7} {'SQL':>4} {'HTML KB':>8} │ {'plain ÷ ours':>12}"
    return f"{top}\n{names}\n{'─' * len(names)}"


def line(row: Row) -> str:
    label = row.page.label if len(row.page.label) <= LABEL else row.page.label[: LABEL - 1] + "…"
    if row.error and row.ours is None:
        return f"{label:{LABEL}} failed: {row.error}"
    ratio = row.ratio
    if ratio is None:
        ratio_text = DASH
    elif row.plain.capped_at:
        ratio_text = f"> {ratio:,.0f}×"
    else:
        ratio_text = f"{ratio:,.1f}×"
    plain = _side(row.plain, width=30) if not (row.error and row.plain is None and row.page.plain) else "failed"
    return f"{label:{LABEL}} {_side(row.ours, width=30)} │ {plain:>30} │ {ratio_text:>12}"


def misses(row: Row) -> list[str]:
    """The goals ``row`` misses, each with by how much."""
    ours = row.ours
    if ours is None:
        return ["not measured (failed)"]
    found = []
    if row.page.kind == LIST:
        if ours.p50 > LIST_P50_MS:
            found.append(f"median {_over(ours.p50, LIST_P50_MS)}")
        if ours.p95 > LIST_P95_MS:
            found.append(f"p95 {_over(ours.p95, LIST_P95_MS)}")
        if ours.queries > LIST_QUERIES:
            found.append(f"{ours.queries} queries > {LIST_QUERIES}")
    elif ours.p95 > VIEW_P95_MS:
        found.append(f"p95 {_over(ours.p95, VIEW_P95_MS)}")
    ratio = row.ratio
    if ratio is not None and not math.isnan(ratio) and ratio < MIN_RATIO:
        if ratio < 1:
            found.append(f"{1 / ratio:.1f}× slower than plain (goal: {MIN_RATIO}× faster)")
        else:
            found.append(f"only {ratio:.1f}× faster than plain (goal: {MIN_RATIO}×)")
    return found


def goals_text(rows: list[Row]) -> str:
    """The rows that miss a goal, one line each, or a line saying none does."""
    out = [
        f"Goals: changelists median ≤ {LIST_P50_MS} ms, p95 ≤ {LIST_P95_MS} ms, ≤ {LIST_QUERIES} queries; role "
        f"views, dashboard, change pages, calendar p95 ≤ {VIEW_P95_MS} ms; ours ≥ {MIN_RATIO}× faster than plain."
    ]
    missed = [(row, found) for row in rows if (found := misses(row))]
    if not missed:
        out.append("Every page meets its goals.")
    else:
        out.append(f"Missed by {len(missed)} of {len(rows)} pages:")
        out += [f"  - {row.page.label}: {'; '.join(found)}" for row, found in missed]
    return "\n".join(out)
