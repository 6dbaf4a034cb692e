"""``manage.py write_retrospective --start YYYY-MM-DD --end YYYY-MM-DD [--kind sprint|deployment]`` — write (or
refresh the draft of) the retrospective of a window, both days included, through ``insights.retrospectives``, and
print its narrative. A published retrospective is printed as it is, never rewritten. Without ``--start`` and
``--end``: the last sprint window that has ended (``RETRO_SPRINT_ANCHOR``, ``RETRO_SPRINT_DAYS``).
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from insights import retrospectives
from insights.choices import RetroKind


def parse_day(text: str, option: str) -> date:
    """'2026-01-05' → the date; CommandError naming the option otherwise."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError as error:
        raise CommandError(f"{option} {text!r}: expected a date as YYYY-MM-DD, e.g. 2026-01-05") from error


class Command(BaseCommand):
    help = "Write the retrospective of a window (both days included) and print its narrative."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--start", help="first day, YYYY-MM-DD")
        parser.add_argument("--end", help="last day (included), YYYY-MM-DD")
        parser.add_argument("--kind", default=RetroKind.SPRINT, choices=RetroKind.values)

    def handle(self, *args, start=None, end=None, kind=RetroKind.SPRINT, **options) -> None:
        if (start is None) != (end is None):
            raise CommandError("Give both --start and --end (or neither, for the last sprint that ended).")
        if start is None:
            window = retrospectives.last_ended_sprint()
            if window is None:
                raise CommandError(
                    "No sprint has ended yet (RETRO_SPRINT_ANCHOR is in the future): give --start/--end."
                )
        else:
            try:
                window = retrospectives.window_for_days(parse_day(start, "--start"), parse_day(end, "--end"))
            except ValidationError as error:
                raise CommandError(" ".join(error.messages)) from error
        result = retrospectives.write_retrospective(kind=kind, window_start=window.start, window_end=window.end)
        retro = result.retrospective
        self.stdout.write(retro.narrative.rstrip())
        self.stdout.write("")
        self.stdout.write(
            f"({result.outcome}: retrospective #{retro.pk}, written by {retro.written_by}; "
            f"{len(retro.insights)} finding(s), {retro.backlog_items.count()} backlog item(s), "
            f"{'published' if retro.status == 'published' else 'draft'})"
        )
