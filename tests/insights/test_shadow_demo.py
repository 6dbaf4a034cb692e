"""The demo's experiments (``demo.experiments.load_experiments``): an A/B experiment whose events give a result and a
triage shadow experiment with its observations, through the services; loading twice changes nothing."""

from __future__ import annotations

import io

import pytest

from ai.providers import get_provider
from demo.experiments import AB_KEY, SHADOW_KEY, load_experiments
from feedback import triage
from feedback.models import FeedbackItem
from insights import experiments, shadow
from insights.models import Experiment, ProductEvent, ShadowObservation
from tests.factories import make_customer, make_feedback

pytestmark = pytest.mark.django_db

TEXTS = [
    "The export button crashes the app every time",
    "Please add dark mode to the dashboard",
    "Love the new reports, great work",
    "Login fails with a 500 error since yesterday",
    "Could you support SSO with Okta?",
    "The invoice page is slow and times out",
]


def test_given_the_demo_accounts_and_triage_when_loading_twice_then_both_experiments_exist_once():
    customers = [make_customer() for _ in range(5)]
    items = [make_feedback(customer=customers[n % 5], verbatim=text) for n, text in enumerate(TEXTS)]
    triage.triage_items(item_ids=[item.pk for item in items], provider=get_provider("offline"))
    fields = list(FeedbackItem.objects.order_by("pk").values())
    out = io.StringIO()

    made = load_experiments(stdout=out)
    again = load_experiments(stdout=io.StringIO())

    assert made["ab_events"] == ProductEvent.objects.count() > 800 and again == {
        "ab_events": 0,
        "shadow_observations": 0,
    }
    analysis = experiments.analyze_key(AB_KEY)
    assert [arm.exposed for arm in analysis.arms] == [400, 400] and analysis.results_shown
    assert analysis.winner == "wizard", analysis.reasons
    assert made["shadow_observations"] == ShadowObservation.objects.count() == len(TEXTS)
    comparison = shadow.compare(Experiment.objects.get(key=SHADOW_KEY))
    assert comparison.triage and comparison.variants[0].fields[0].agreement.n == len(TEXTS)
    assert list(FeedbackItem.objects.order_by("pk").values()) == fields  # the shadow changed no item
    assert SHADOW_KEY in out.getvalue()
