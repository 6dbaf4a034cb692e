"""The demo's technical metrics (``demo.technical.load_technical``): samples that agree with the demo feedback, the
product whose sentiment fell gets rising errors, the figure and one escalation per condition; loading again the same
day changes nothing."""

from __future__ import annotations

import io
from datetime import UTC, timedelta

import pytest
from django.utils import timezone

from demo.technical import load_technical
from insights.models import DashboardFigure, Escalation, TechnicalSample
from tests.factories import make_customer
from tests.insights.test_technical_correlation import feedback, rule  # noqa: F401 (the rule fixture)

pytestmark = pytest.mark.django_db


def test_given_demo_feedback_when_loading_twice_then_the_falling_product_has_rising_errors_and_one_escalation(rule):  # noqa: F811
    today = timezone.now().astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    acme, globex = make_customer(name="Acme"), make_customer(name="Globex")
    feedback("le_chat", acme, [[0.5, 0.3]] * 14 + [[-0.4, -0.2]] * 14, end=today, every=timedelta(days=1))  # falls
    feedback("codestral", globex, [[0.1, 0.3]] * 28, end=today, every=timedelta(days=1))  # steady
    out = io.StringIO()

    first = load_technical(stdout=out)
    second = load_technical()

    assert first["falling_product"] == "le_chat"
    assert "product:le_chat" in first["rising"] and "product:codestral" not in first["rising"]
    assert first["created"] == first["samples"] == TechnicalSample.objects.count() == 2 * 91
    assert second["unchanged"] == second["samples"] and second["escalations_opened"] == 0
    assert Escalation.objects.filter(rule=rule, condition_key__endswith=":product:le_chat").count() == 1
    assert DashboardFigure.objects.filter(key="technical:correlations").exists()
    assert "errors rise on Le Chat while its sentiment falls (+0.40 → -0.30)" in out.getvalue()
    recent = TechnicalSample.objects.filter(product="le_chat", period_start__gte=today - timedelta(days=14))
    assert recent.count() == 14
