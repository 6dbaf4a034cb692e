"""The coverage dashboard counts feedback by maturity (issue 13): two more dimensions, each one GROUP BY, linked to
the feedback list filtered on the item's own field."""

from __future__ import annotations

import pytest

from insights import selectors, services
from tests.factories import make_feedback

pytestmark = pytest.mark.django_db


def test_given_stamped_items_then_coverage_has_both_maturity_dimensions_counted_and_linked():
    for _ in range(16):
        make_feedback(time_maturity="d365", usage_maturity="u50")
    make_feedback(time_maturity="d7", usage_maturity="u1")
    make_feedback()  # not stamped: in no maturity segment

    data, total = services.coverage()
    services.refresh_dashboard()
    charts = selectors.coverage_charts(selectors.figures()["coverage"])

    by_key = {dimension["key"]: dimension for dimension in data["dimensions"]}
    time = {segment["value"]: (segment["items"], segment["flag"]) for segment in by_key["time_maturity"]["segments"]}
    usage = {segment["value"]: segment["items"] for segment in by_key["usage_maturity"]["segments"]}
    assert (by_key["time_maturity"]["label"], by_key["usage_maturity"]["label"]) == (
        "Maturity (time)",
        "Maturity (usage)",
    )
    assert time == {"d7": (1, True), "d30": (0, True), "d60": (0, True), "d120": (0, True), "d365": (16, False)}
    assert usage == {"u1": 1, "u5": 0, "u20": 0, "u50": 16}
    assert total == 18
    shown = {dimension["key"]: dimension for dimension in charts["dimensions"]}
    assert "time_maturity__exact=d365" in shown["time_maturity"]["segments"][-1]["url"]
    assert "customer__tier__exact" in shown["tier"]["segments"][0]["url"]
