"""demo/retrospectives.py on the whole demo company: the last ended sprint's retrospective, its figures, findings and
backlog, written once (a second load refreshes the draft, no second row)."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.test import override_settings

from demo import loader, people
from demo.retrospectives import load_retrospectives
from feedback.models import EmbeddingSpace
from insights import retrospectives
from insights.models import Retrospective

pytestmark = [pytest.mark.slow, pytest.mark.django_db]


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo, loaded once for this module, and removed afterwards."""
    with django_db_blocker.unblock(), override_settings(DEBUG=True, AI_PROVIDER="offline", RETRO_PUSH=False):
        spaces_before = set(EmbeddingSpace.objects.values_list("pk", flat=True))
        loader.load_demo()
        out = io.StringIO()
        retro = load_retrospectives(stdout=out)
        yield retro, out.getvalue()
        Retrospective.objects.all().delete()
        loader.reset_demo(force=True)
        get_user_model().objects.filter(username=people.ADMIN_USERNAME).delete()
        EmbeddingSpace.objects.exclude(pk__in=spaces_before).delete()


def test_given_the_demo_then_the_last_sprint_has_its_retrospective_with_figures_and_findings(demo):
    retro, output = demo

    window = retrospectives.last_ended_sprint()
    assert (retro.window_start, retro.window_end) == (window.start, window.end)
    assert retro.facts["feedback"]["n"] > 0
    assert retro.written_by == "template" and retro.narrative.startswith(f"# {retro.title}\n\n## In numbers")
    assert f"Retrospective “{retro.title}” (created, template)" in output
    for insight in retro.insights:
        assert insight["finding"] and insight["recommendation"] and insight["impact"] in {"high", "medium", "low"}
    for item in retro.backlog_items.all():
        assert item.evidence and item.status == "dry_run"
    print(retro.narrative)
    print(output)


def test_given_the_demo_loaded_twice_then_there_is_still_one_retrospective(demo):
    with override_settings(AI_PROVIDER="offline", RETRO_PUSH=False):
        load_retrospectives()

    assert Retrospective.objects.count() == 1
