"""Launch admin pages beyond the changelist: the calendar, the quarterly timeline, a launch's checklist, the tick.

Thin: they read through ``launches.selectors`` and write through ``launches.services``; ``LaunchAdmin.get_urls``
serves them inside the admin (login, staff, unfold's layout and navigation).
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.generic import TemplateView
from unfold.views import UnfoldModelAdminViewMixin

from launches import selectors, services
from launches.choices import LaunchStatus, LaunchTeam
from launches.models import ChecklistItem, Launch

YEARS = range(2000, 2101)


class YearOfLaunchesView(UnfoldModelAdminViewMixin, TemplateView):
    """A year of launches, filtered by ``?status=`` and ``?team=``, the year from ``?year=`` (default this year)."""

    permission_required = "launches.view_launch"
    page = ""  # "calendar" or "timeline": the tab shown as current

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        today = timezone.localdate()
        params = self.request.GET
        year = int(params["year"]) if params.get("year", "").isdigit() and int(params["year"]) in YEARS else today.year
        status = params.get("status") if params.get("status") in LaunchStatus.values else ""
        team = params.get("team") if params.get("team") in LaunchTeam.values else ""
        launches = selectors.launches_of_year(year=year, today=today, status=status, team=team)
        chosen = {"year": year, "status": status, "team": team}
        return super().get_context_data(
            **kwargs,
            **self.page_context(launches, year=year, today=today),
            today=today,
            year=year,
            launches=launches,
            truncated=len(launches) >= selectors.CALENDAR_LIMIT,
            at_risk=sum(launch.status == LaunchStatus.AT_RISK for launch in launches),
            shipped_open=sum(launch.shipped_with_open_items for launch in launches),
            read_at=timezone.localtime(),
            page=self.page,
            tabs=[
                ("calendar", "Calendar", "calendar_month", self.link("calendar", chosen)),
                ("timeline", "Timeline", "view_timeline", self.link("timeline", chosen)),
            ],
            list_url=reverse("admin:launches_launch_changelist"),
            previous_year=self.link(self.page, chosen, year=year - 1),
            next_year=self.link(self.page, chosen, year=year + 1),
            this_year=self.link(self.page, chosen, year=today.year),
            status_chips=self.chips("status", LaunchStatus.choices, chosen, "All statuses"),
            team_chips=self.chips("team", LaunchTeam.choices, chosen, "All teams"),
        )

    def page_context(self, launches: list[Launch], *, year: int, today: date) -> dict[str, Any]:
        """What the page itself shows of ``launches``."""
        raise NotImplementedError

    @staticmethod
    def link(page: str, chosen: dict[str, Any], **changes: Any) -> str:
        """The URL of ``page`` ("calendar"/"timeline") with the chosen filters, some changed."""
        query = {key: value for key, value in {**chosen, **changes}.items() if value}
        return f"{reverse(f'admin:launches_launch_{page}')}?{urlencode(query)}"

    def chips(self, key: str, choices, chosen: dict[str, Any], everything: str) -> list[tuple[str, str, bool]]:
        """Filter links for ``key``: (label, url, active), "all" first."""
        return [
            (label, self.link(self.page, chosen, **{key: value}), chosen[key] == value)
            for value, label in [("", everything), *choices]
        ]


class LaunchCalendarView(YearOfLaunchesView):
    """The 12-month grid: each month lists the launches due in it and those running through it."""

    template_name = "admin/launches/launch/calendar.html"
    title = "Launch calendar"
    page = "calendar"

    def page_context(self, launches: list[Launch], *, year: int, today: date) -> dict[str, Any]:
        months = selectors.calendar_months(launches, year=year)
        return {"months": [(month, month.is_current(today)) for month in months]}


class LaunchTimelineView(YearOfLaunchesView):
    """The quarterly timeline: Gantt-like bars from start to target date, grouped by the quarter of the target."""

    template_name = "admin/launches/launch/timeline.html"
    title = "Launch timeline"
    page = "timeline"

    def page_context(self, launches: list[Launch], *, year: int, today: date) -> dict[str, Any]:
        return {
            "quarters": selectors.timeline_quarters(launches, year=year),
            "axis": selectors.timeline_axis(year=year),
            "today_left": selectors.today_left(year=year, today=today),
        }


class LaunchChecklistView(UnfoldModelAdminViewMixin, TemplateView):
    """One launch's checklist by team, each item ticked in one click (a small form per item)."""

    template_name = "admin/launches/launch/checklist.html"
    permission_required = "launches.view_launch"
    title = "Checklist"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        launch = get_object_or_404(Launch.objects.select_related("owner"), pk=self.kwargs["object_id"])
        self.title = f"{launch} · checklist"
        return super().get_context_data(**kwargs, **checklist_context(launch=launch, request=self.request))


def checklist_context(*, launch: Launch, request: HttpRequest) -> dict[str, Any]:
    """What the checklist template (``includes/checklist.html``) needs, for the checklist page and the change page."""
    today = timezone.localdate()
    teams = selectors.launch_checklist(launch=launch, user=request.user, today=today)
    done, total = sum(team.done for team in teams), sum(team.total for team in teams)
    return {
        "launch": launch,
        "checklist": teams,
        "checklist_done": done,
        "checklist_total": total,
        "checklist_percent": done * 100 // total if total else 0,
        "checklist_open": total - done,
        "checklist_open_items": [item for team in teams for item in team.items if not item.is_done][:3],
        "checklist_open_after_ship": launch.status == LaunchStatus.SHIPPED and done < total,
        "checklist_return": request.get_full_path(),
        "today": today,
    }


class ChecklistTickView(View):
    """POST: tick (``done=1``) or untick (``done=0``) one item, then go back to ``next`` at that item.

    Only members of the item's team may (``services.set_item_done`` refuses the others: an error message, nothing
    changes).
    """

    http_method_names = ["post"]

    def post(self, request: HttpRequest, object_id: int, item_id: int) -> HttpResponseRedirect:
        item = get_object_or_404(ChecklistItem, pk=item_id, launch_id=object_id)
        done = request.POST.get("done") == "1"
        try:
            services.set_item_done(item=item, done=done, user=request.user)
        except PermissionDenied as refusal:
            messages.error(request, str(refusal))
        else:
            messages.success(request, f"{'Ticked' if done else 'Reopened'} “{item.title}”.")
        back = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(
            back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            back = reverse("admin:launches_launch_checklist_page", args=[object_id])
        return HttpResponseRedirect(f"{back.split('#')[0]}#item-{item.pk}")
