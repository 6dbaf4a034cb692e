"""Demo: the retrospective of the last sprint that ended, written from the demo company's data like the daily job
writes it (``insights.retrospectives.write_retrospective``: figures, findings, backlog items in dry run, the narrative
by the configured provider — the offline template without a Mistral key).

``load_retrospectives(stdout=)`` is idempotent: the window has one retrospective; running it again refreshes the draft.
"""

from __future__ import annotations

import io

from insights import retrospectives
from insights.choices import RetroKind
from insights.models import Retrospective


def load_retrospectives(*, stdout=None) -> Retrospective | None:
    """Write the last ended sprint's retrospective of the demo data; None when no sprint has ended yet."""
    stdout = stdout or io.StringIO()
    window = retrospectives.last_ended_sprint()
    if window is None:
        stdout.write("Retrospective: no sprint has ended yet (RETRO_SPRINT_ANCHOR is in the future).\n")
        return None
    result = retrospectives.write_retrospective(kind=RetroKind.SPRINT, window_start=window.start, window_end=window.end)
    retro = result.retrospective
    stdout.write(
        f"Retrospective “{retro.title}” ({result.outcome}, {retro.written_by}): {len(retro.insights)} finding(s), "
        f"{retro.backlog_items.count()} backlog item(s) proposed (dry run)\n"
    )
    return retro
