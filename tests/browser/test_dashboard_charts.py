"""The home dashboard's bar charts are drawn to scale, from their first frame: every value axis starts at zero and
shows its numbers, and each bar is as long as its value on that axis (Chart.js's grow-in animation drew them short)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from customers.choices import Lifecycle, Tier
from feedback.choices import Category
from insights import services
from tests.browser.support import console_errors, screenshot
from tests.factories import make_customer, make_feedback, make_theme
from themes.services import refresh_rollups

TOLERANCE_PX = 1.5  # Chart.js rounds a bar's base to the pixel grid

# Read every chart as soon as unfold has drawn it: this listener is added before unfold's own "load" listener (an init
# script runs before the page's scripts), so its timeout fires right after renderCharts() and before any animation
# frame has had time to run. What a person sees at first sight, and what a screenshot shows.
READ_AT_LOAD = """
window.__chartsAtLoad = new Promise((resolve) => window.addEventListener("load", () => setTimeout(() => {
  resolve([...document.querySelectorAll("canvas.chart")].map((canvas) => {
    const chart = Chart.getChart(canvas);
    const horizontal = chart.options.indexAxis === "y";
    const scale = chart.scales[horizontal ? "x" : "y"];
    const zero = scale.getPixelForValue(0);
    const bars = [];
    chart.data.datasets.forEach((dataset, index) => {
      chart.getDatasetMeta(index).data.forEach((bar, position) => {
        const value = dataset.data[position];
        bars.push({
          value,
          length: Math.abs((horizontal ? bar.x : bar.y) - bar.base),
          onScale: Math.abs(scale.getPixelForValue(value) - zero),
        });
      });
    });
    return {
      label: `${canvas.closest("section").getAttribute("aria-label")}: ${chart.data.datasets[0]?.label}`,
      min: scale.min,
      max: scale.max,
      axisShown: scale.options.display !== false && scale.options.ticks.display !== false,
      firstTick: scale.ticks.length ? scale.ticks[0].value : null,
      pixelsPerUnit: Math.abs(scale.getPixelForValue(scale.max) - zero) / (scale.max - scale.min),
      bars,
    };
  }));
}, 0)));
"""


def dashboard_with_figures() -> None:
    """Feedback over three months and two tiers, two themes with ARR: every chart has bars of different lengths."""
    big = make_customer(name="Big Bank", tier=Tier.ENTERPRISE, arr=Decimal("900000"), lifecycle_stage=Lifecycle.AT_RISK)
    small = make_customer(name="Small Shop", tier=Tier.STARTUP, arr=Decimal("300000"))
    sso, audit = make_theme(name="SSO everywhere"), make_theme(name="Audit logs")
    now = timezone.now()
    for n in range(12):
        make_feedback(customer=big, category=Category.CHURN_SIGNAL, received_at=now - timedelta(days=35 * (n % 3)))
        make_feedback(customer=big, category=Category.BUG, received_at=now).themes.add(sso)
    for _ in range(3):
        make_feedback(customer=small, category=Category.FEATURE_REQUEST, received_at=now).themes.add(audit)
    refresh_rollups(theme_ids=[sso.pk, audit.pk])
    services.refresh_dashboard()


def test_given_figures_when_the_dashboard_opens_then_every_bar_is_drawn_to_scale_from_zero(open_page, admin_user):
    dashboard_with_figures()
    page = open_page(user=admin_user)
    page.add_init_script(READ_AT_LOAD)

    page.goto("/admin/")
    charts = page.evaluate("window.__chartsAtLoad")

    screenshot(page, "dashboard-charts")
    assert len(charts) >= 3, charts  # volume, top themes and one per coverage dimension
    assert any(bar["value"] for chart in charts for bar in chart["bars"])
    for chart in charts:
        assert chart["min"] == 0, chart  # the value axis begins at zero...
        assert chart["axisShown"] and chart["firstTick"] == 0, chart  # ...and says so, with its numbers
        for bar in chart["bars"]:
            assert abs(bar["length"] - bar["onScale"]) <= TOLERANCE_PX, (chart["label"], bar)
            assert abs(bar["length"] - bar["value"] * chart["pixelsPerUnit"]) <= TOLERANCE_PX, (chart["label"], bar)
    assert console_errors(page) == []
