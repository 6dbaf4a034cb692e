"""Launch reads that carry a rule: a year's calendar and quarterly timeline, and a launch's checklist per team."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from launches import services
from launches.choices import ChecklistTeam, LaunchStatus
from launches.models import ChecklistItem, CustomerUpdate, Launch
from themes.choices import TrackerState
from themes.models import Theme

CALENDAR_LIMIT = 500  # a year of launches is a few dozen; the cap keeps a runaway table from filling the page
DUE_SOON_DAYS = 7  # an open item due within this many days is "due soon"


# --- The year's launches --------------------------------------------------------------------------------------


def launches_of_year(*, year: int, today: date, status: str = "", team: str = "") -> list[Launch]:
    """Launches due in ``year`` or running into it, with checklist progress, by target date (at most CALENDAR_LIMIT).

    One query; ``status`` and ``team`` narrow it when given.
    """
    launches = Launch.objects.touching_year(year)
    if status:
        launches = launches.filter(status=status)
    if team:
        launches = launches.filter(team=team)
    return list(launches.with_progress(today=today).order_by("target_date", "id")[:CALENDAR_LIMIT])


@dataclass
class CalendarMonth:
    """One month of the calendar grid: launches due in it, and launches whose start→target span runs through it."""

    first_day: date
    due: list[Launch] = field(default_factory=list)
    running: list[Launch] = field(default_factory=list)

    def is_current(self, today: date) -> bool:
        """Whether ``today`` falls in this month."""
        return (self.first_day.year, self.first_day.month) == (today.year, today.month)


def calendar_months(launches: list[Launch], *, year: int) -> list[CalendarMonth]:
    """The 12 months of ``year``, each with the launches due in it and those still running through it."""
    months = [CalendarMonth(first_day=date(year, month, 1)) for month in range(1, 13)]
    for launch in launches:
        target = launch.target_date
        if target.year == year:
            months[target.month - 1].due.append(launch)
        if launch.start_date is not None:
            first = launch.start_date.month if launch.start_date.year == year else 1
            last = target.month - 1 if target.year == year else 12  # the target month lists it as due
            for month in range(first, last + 1):
                months[month - 1].running.append(launch)
    return months


# --- Quarterly timeline -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineBar:
    """One launch's bar on the year axis, from its start date (or its target date alone) to its target date.

    ``left`` and ``width`` are percentages of the year; ``starts_before`` / ``ends_after`` mark a bar cut at the
    year's edge; a launch with no start date is a ``milestone`` on its target date.
    """

    launch: Launch
    left: float
    width: float
    starts_before: bool
    ends_after: bool
    milestone: bool


@dataclass
class TimelineQuarter:
    """The launches due in one quarter (``number`` 5: due after the year, started in it)."""

    number: int
    label: str
    bars: list[TimelineBar] = field(default_factory=list)


@dataclass(frozen=True)
class AxisMonth:
    """A month's column on the timeline axis, in percent of the year."""

    label: str
    left: float
    width: float


MIN_BAR_WIDTH = 0.8  # percent of the year: a one-day launch still shows


def _percent(days: int, year_days: int) -> float:
    return round(days * 100 / year_days, 2)


def timeline_axis(*, year: int) -> list[AxisMonth]:
    """The 12 month columns of ``year``'s axis, sized by their number of days."""
    first, year_days = date(year, 1, 1), (date(year + 1, 1, 1) - date(year, 1, 1)).days
    months = []
    for month in range(1, 13):
        start = date(year, month, 1)
        end = date(year + (month == 12), month % 12 + 1, 1)
        months.append(
            AxisMonth(
                label=start.strftime("%b"),
                left=_percent((start - first).days, year_days),
                width=_percent((end - start).days, year_days),
            )
        )
    return months


def timeline_bar(launch: Launch, *, year: int) -> TimelineBar:
    """Where ``launch``'s bar sits on ``year``'s axis."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    year_days = (last - first).days + 1
    start = launch.start_date or launch.target_date
    shown_start, shown_end = max(start, first), min(launch.target_date, last)
    return TimelineBar(
        launch=launch,
        left=_percent((shown_start - first).days, year_days),
        width=max(_percent((shown_end - shown_start).days + 1, year_days), MIN_BAR_WIDTH),
        starts_before=start < first,
        ends_after=launch.target_date > last,
        milestone=launch.start_date is None,
    )


def timeline_quarters(launches: list[Launch], *, year: int) -> list[TimelineQuarter]:
    """The year's launches grouped by the quarter of their target date, each as a bar from start to target.

    Launches due after the year but started in it come last, under "Due later".
    """
    quarters = [
        TimelineQuarter(number=n, label=f"Q{n} {year} · {date(year, 3 * n - 2, 1):%b}–{date(year, 3 * n, 1):%b}")
        for n in range(1, 5)
    ]
    later = TimelineQuarter(number=5, label=f"Due after {year}")
    for launch in launches:
        quarter = later if launch.target_date.year > year else quarters[(launch.target_date.month - 1) // 3]
        quarter.bars.append(timeline_bar(launch, year=year))
    return [*quarters, later] if later.bars else quarters


def today_left(*, year: int, today: date) -> float | None:
    """Where today's line sits on ``year``'s axis (percent), or None outside the year."""
    if today.year != year:
        return None
    first = date(year, 1, 1)
    return _percent((today - first).days, (date(year + 1, 1, 1) - first).days)


# --- One launch's checklist -----------------------------------------------------------------------------------


@dataclass
class TeamChecklist:
    """One team's section of a launch checklist, and whether the reader may tick its items."""

    team: str
    label: str
    can_tick: bool
    items: list[ChecklistItem] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.items)

    @property
    def done(self) -> int:
        return sum(item.is_done for item in self.items)

    @property
    def overdue(self) -> int:
        return sum(item.overdue for item in self.items)

    @property
    def percent(self) -> int:
        """Share of the team's items ticked, 0–100, rounded down."""
        return self.done * 100 // self.total if self.total else 0


def launch_checklist(*, launch: Launch, user, today: date) -> list[TeamChecklist]:
    """``launch``'s checklist by team (in ChecklistTeam order), items in template order.

    Each item is flagged ``overdue`` (open past its due date, by ``days_overdue``) or ``due_soon`` (open, due within
    DUE_SOON_DAYS); ``can_tick`` says whether ``user`` may tick the team's items (``services.can_tick``'s rule).
    Queries: the items, and the user's teams and permissions (none for a superuser).
    """
    tickable = services.tickable_teams(user)
    sections = {team: TeamChecklist(team=team, label=team.label, can_tick=team in tickable) for team in ChecklistTeam}
    soon = today + timedelta(days=DUE_SOON_DAYS)
    for item in launch.checklist_items.select_related("owner", "done_by").order_by("team", "position", "id"):
        is_open = item.done_at is None and item.due_date is not None
        item.overdue = is_open and item.due_date < today
        item.days_overdue = (today - item.due_date).days if item.overdue else 0
        item.due_soon = is_open and today <= item.due_date <= soon
        sections[ChecklistTeam(item.team)].items.append(item)
    return [section for section in sections.values() if section.items]


# --- What the trackers say about a launch ------------------------------------------------------------------------


def tracker_flag(launch: Launch) -> str:
    """A warning when the launch's tracker issues disagree with its status, else blank.

    Every listed issue closed (done or canceled, one at least done) while the launch is not shipped: it may be
    ready to ship. An issue open or started again while the launch is shipped: something was reopened after it.
    """
    states = [launch.tracker_states.get(key, {}).get("state") for key in launch.tracker_keys]
    closed = {TrackerState.DONE, TrackerState.CANCELED}
    if launch.status != LaunchStatus.SHIPPED:
        if states and all(state in closed for state in states) and TrackerState.DONE in states:
            return "Every tracker issue is done: ready to ship?"
        return ""
    reopened = [key for key, state in zip(launch.tracker_keys, states, strict=True) if state in {"open", "started"}]
    return f"Reopened after shipping: {', '.join(reopened)}" if reopened else ""


# --- Closing the loop: what to announce when a theme ships ------------------------------------------------------------


@dataclass(frozen=True)
class ShippedNotice:
    """What the notifications of one closing run say: the theme, the launch that shipped it, the updates created
    (with their customer and owner), and how many customers the theme's updates tell in all."""

    theme: Theme
    launch: Launch | None
    updates: list[CustomerUpdate]
    customers_total: int


def shipped_notice(*, theme_id: int, launch_id: int | None, update_ids: list[int]) -> ShippedNotice | None:
    """The notice of a ``customer_updates.created`` event (None when the theme is gone). Four queries, however many
    updates: the theme, the launch, the updates with customer and owner (by owner, then due date), the total."""
    theme = Theme.objects.filter(pk=theme_id).first()
    if theme is None:
        return None
    launch = Launch.objects.filter(pk=launch_id).first() if launch_id else None
    updates = list(
        CustomerUpdate.objects.filter(pk__in=update_ids)
        .select_related("customer", "owner")
        .order_by("owner_id", "due_on", "customer__name", "id")
    )
    total = CustomerUpdate.objects.filter(theme_id=theme_id).count()
    return ShippedNotice(theme=theme, launch=launch, updates=updates, customers_total=total)
