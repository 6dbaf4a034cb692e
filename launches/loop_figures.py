"""How well the loop closes (seed 001 "Measure and Share Impact": track the time from feedback to ship), per shipped
theme and overall, in one statement of SQL aggregates.

- **Feedback addressed**, two ways: the share of customer updates the account owners confirmed told, and the share of
  the shipped themes' feedback items (linked, or duplicates merged into a linked item: the same set the loop tells)
  that are Shipped. Won't do items stay in the denominator: they were asked for and not delivered.
- **Time from feedback to ship**: the median, in days, from an item's ``received_at`` to its theme's ``shipped_at``
  (items received after the theme shipped are left out: they were not waiting for it).

Only themes whose status is Shipped count; an item in two shipped themes counts once for each (two asks answered).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db import connection

from feedback.choices import Status
from feedback.models import FeedbackItem
from launches.models import CustomerUpdate, CustomerUpdateStatus
from themes.choices import ThemeStatus
from themes.models import Theme


@dataclass(frozen=True)
class LoopFigures:
    """The loop's figures for one theme, or for several together."""

    updates: int = 0
    told: int = 0
    skipped: int = 0
    overdue: int = 0
    items: int = 0
    items_shipped: int = 0
    median_days_to_ship: float | None = None

    @property
    def told_rate(self) -> float | None:
        """Share of customer updates told (None: no update yet)."""
        return self.told / self.updates if self.updates else None

    @property
    def shipped_rate(self) -> float | None:
        """Share of the feedback items that are Shipped (None: no item)."""
        return self.items_shipped / self.items if self.items else None


@dataclass(frozen=True)
class LoopReport:
    """``overall`` for every theme counted together, ``themes`` per theme id (shipped themes with feedback or
    updates only)."""

    overall: LoopFigures
    themes: dict[int, LoopFigures]


FIGURES_SQL = """
WITH shipped AS (
    SELECT id, shipped_at FROM {themes} WHERE status = %(shipped)s {only}
), linked AS (
    SELECT link.theme_id, link.feedbackitem_id AS item_id
    FROM {links} AS link JOIN shipped ON shipped.id = link.theme_id
), members AS (
    SELECT theme_id, item_id FROM linked
    UNION
    SELECT linked.theme_id, duplicate.id
    FROM linked JOIN {items} AS duplicate ON duplicate.duplicate_of_id = linked.item_id
), item_figures AS (
    SELECT coalesce(members.theme_id, 0) AS theme_id,
           count(*) AS items,
           count(*) FILTER (WHERE item.status = %(item_shipped)s) AS items_shipped,
           percentile_cont(0.5) WITHIN GROUP (
               ORDER BY extract(epoch FROM shipped.shipped_at - item.received_at) / 86400
           ) FILTER (WHERE item.received_at <= shipped.shipped_at) AS median_days
    FROM members
    JOIN {items} AS item ON item.id = members.item_id
    JOIN shipped ON shipped.id = members.theme_id
    GROUP BY GROUPING SETS ((members.theme_id), ())
), update_figures AS (
    SELECT coalesce(u.theme_id, 0) AS theme_id,
           count(*) AS updates,
           count(*) FILTER (WHERE u.status = %(told)s) AS told,
           count(*) FILTER (WHERE u.status = %(skipped)s) AS skipped,
           count(*) FILTER (WHERE u.status = %(to_tell)s AND u.due_on < %(today)s) AS overdue
    FROM {updates} AS u JOIN shipped ON shipped.id = u.theme_id
    GROUP BY GROUPING SETS ((u.theme_id), ())
)
SELECT coalesce(i.theme_id, u.theme_id),
       coalesce(u.updates, 0), coalesce(u.told, 0), coalesce(u.skipped, 0), coalesce(u.overdue, 0),
       coalesce(i.items, 0), coalesce(i.items_shipped, 0), i.median_days
FROM item_figures AS i FULL JOIN update_figures AS u ON u.theme_id = i.theme_id
"""


def loop_figures(*, today: date, theme_ids: Iterable[int] | None = None) -> LoopReport:
    """The loop's figures of the shipped themes (of ``theme_ids`` only, when given): per theme and overall.

    ``today`` decides which updates are overdue (still to tell after their due date). One query.
    """
    params = {
        "shipped": ThemeStatus.SHIPPED.value,
        "item_shipped": Status.SHIPPED.value,
        "told": CustomerUpdateStatus.TOLD.value,
        "skipped": CustomerUpdateStatus.SKIPPED.value,
        "to_tell": CustomerUpdateStatus.TO_TELL.value,
        "today": today,
    }
    only = ""
    if theme_ids is not None:
        params["ids"] = sorted(set(theme_ids))
        only = "AND id = ANY(%(ids)s)"
    sql = FIGURES_SQL.format(
        themes=Theme._meta.db_table,
        links=FeedbackItem.themes.through._meta.db_table,
        items=FeedbackItem._meta.db_table,
        updates=CustomerUpdate._meta.db_table,
        only=only,
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    overall, themes = LoopFigures(), {}
    for theme_id, *values in rows:
        median = values[-1]
        figures = LoopFigures(*values[:-1], median_days_to_ship=None if median is None else float(median))
        if theme_id == 0:
            overall = figures
        else:
            themes[theme_id] = figures
    return LoopReport(overall=overall, themes=themes)


def theme_loop_figures(*, theme: Theme, today: date) -> LoopFigures:
    """One theme's figures (all zero, no median, when it is not shipped)."""
    return loop_figures(today=today, theme_ids=[theme.pk]).themes.get(theme.pk, LoopFigures())


def describe(figures: LoopFigures) -> str:
    """The figures in one line, as the admin shows them."""
    parts = []
    if figures.updates:
        parts.append(
            f"{figures.told_rate:.0%} of customers told ({figures.told} of {figures.updates}"
            f"{f', {figures.skipped} skipped' if figures.skipped else ''}"
            f"{f', {figures.overdue} overdue' if figures.overdue else ''})"
        )
    else:
        parts.append("no customer to tell")
    if figures.items:
        shipped = f"{figures.shipped_rate:.0%} of feedback items shipped"
        parts.append(f"{shipped} ({figures.items_shipped} of {figures.items})")
    if figures.median_days_to_ship is not None:
        parts.append(f"median {figures.median_days_to_ship:.0f} days from feedback to ship")
    return " · ".join(parts)
