"""The KPI dashboard in a real browser: the three groups, the personas side by side and the weekly trend charts drawn
by Chart.js, on a desktop and on a phone (no sideways scrolling), with no console error."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from insights import kpis, metrics
from insights.models import SurveyResponse
from tests.browser.support import PHONE, console_errors, has_horizontal_overflow, screenshot
from tests.factories import make_customer, make_feedback
from tests.insights.test_metrics import event

URL = "/admin/insights/kpis/"


@pytest.fixture
def figures(monkeypatch):
    """A few weeks of survey answers and product events from two personas, the figures computed (one point is
    enough here: the minimum-n rule has tests of its own)."""
    monkeypatch.setattr(metrics, "MIN_N", 1)
    now = timezone.now()
    accounts = [make_customer(name=f"Persona account {n}") for n in range(4)]
    for n, account in enumerate(accounts):
        persona = "analyst" if n % 2 else "podcaster"
        start = now - timedelta(days=3 + n)
        event(account, "signed_up", start, persona=persona)
        event(account, "value_delivered", start + timedelta(minutes=15 * (n + 1)), persona=persona)
        event(account, "report_sent", start, persona=persona, accurate=n != 3)
        event(account, "support_contact_closed", start, persona=persona, resolution_hours=2 + n)
    for week in range(6):
        for n in range(3):
            SurveyResponse.objects.create(
                kind="nps",
                score=(10, 8, 3 + week)[n],
                customer=accounts[n],
                external_id=f"w{week}-{n}",
                responded_at=now - timedelta(days=7 * week + 1),
            )
        make_feedback(received_at=now - timedelta(days=7 * week + 2), triaged_at=now)
    kpis.refresh_kpis(now=now)


def test_given_figures_when_a_pm_opens_the_kpi_dashboard_then_groups_personas_and_trend_charts_show(
    open_page, admin_user, figures
):
    page = open_page(user=admin_user)
    page.goto(URL)

    for group in ("Business success", "Operational ease", "User success", "Personas side by side", "Weekly trends"):
        expect(page.get_by_role("heading", name=group)).to_be_visible()
    expect(page.locator('[data-kpi="ltv_cac"]')).to_contain_text("no customer acquisition cost")
    expect(page.locator("#kpi-personas th", has_text="podcaster")).to_be_visible()
    charts = page.evaluate(
        """() => [...document.querySelectorAll('[data-trend] canvas.chart')].map((canvas) => {
            const chart = Chart.getChart(canvas);
            return {type: chart.config.type, points: chart.data.datasets[0].data.filter((v) => v !== null).length,
                    height: canvas.getBoundingClientRect().height};
        })"""
    )
    assert len(charts) == len(kpis.TRENDS)
    assert all(chart["type"] == "line" and chart["height"] > 50 for chart in charts), charts
    assert max(chart["points"] for chart in charts) >= 5  # NPS: six weeks of answers
    screenshot(page, "kpi-dashboard")
    page.get_by_role("link", name="90 days").click()
    expect(page.get_by_role("link", name="90 days")).to_have_attribute("aria-current", "page")
    assert console_errors(page) == []


def test_given_figures_when_the_kpi_dashboard_opens_on_a_phone_then_it_fits_the_screen(open_page, admin_user, figures):
    page = open_page(user=admin_user, viewport=PHONE)
    page.goto(URL)

    expect(page.get_by_role("heading", name="User success")).to_be_visible()
    expect(page.locator("[data-trend] canvas.chart").first).to_be_visible()
    assert not has_horizontal_overflow(page)
    screenshot(page, "kpi-dashboard-phone")
    assert console_errors(page) == []


def test_given_no_figures_when_the_kpi_dashboard_opens_then_it_explains_what_happens(open_page, admin_user):
    page = open_page(user=admin_user, viewport=PHONE)
    page.goto(URL)

    expect(page.get_by_text("The KPI figures are being computed.")).to_be_visible()
    assert not has_horizontal_overflow(page)
    assert console_errors(page) == []
