"""demo/retrospectives.py on the whole demo company: the last ended sprint's retrospective, its figures, findings and
backlog, written once (a second load refreshes the draft, no second row)."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import override_settings

from demo import loader, people
from demo.retrospectives import load_retrospectives
from feedback.models import ClassifierVersion, EmbeddingSpace, FeedbackEmbedding
from insights import retrospectives
from insights.models import DashboardFigure, Retrospective

pytestmark = [pytest.mark.slow, pytest.mark.django_db]
KEPT_BY_RESET = (EmbeddingSpace, ClassifierVersion, DashboardFigure)  # demo rows no account cascade reaches


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo, loaded once for this module, and removed afterwards."""
    with django_db_blocker.unblock(), override_settings(DEBUG=True, AI_PROVIDER="offline", RETRO_PUSH=False):
        before = {model: set(model.objects.values_list("pk", flat=True)) for model in KEPT_BY_RESET}
        loader.load_demo()  # it writes the last sprint's retrospective already
        out = io.StringIO()
        retro = load_retrospectives(stdout=out)
        yield retro, out.getvalue()
        Retrospective.objects.all().delete()
        loader.reset_demo(force=True)
        get_user_model().objects.filter(username=people.ADMIN_USERNAME).delete()
        for model, pks in before.items():  # what reset_demo leaves, made by this load: later tests start without it
            model.objects.exclude(pk__in=pks).delete()
        with connection.cursor() as cursor:  # the demo's vectors, deleted, would linger in the HNSW index
            cursor.execute(f"VACUUM {FeedbackEmbedding._meta.db_table}")


def test_given_the_demo_then_the_last_sprint_has_its_retrospective_with_figures_and_findings(demo):
    retro, output = demo

    window = retrospectives.last_ended_sprint()
    assert (retro.window_start, retro.window_end) == (window.start, window.end)
    assert retro.facts["feedback"]["n"] > 0
    assert retro.written_by == "template" and retro.narrative.startswith(f"# {retro.title}\n\n## In numbers")
    assert f"Retrospective “{retro.title}” (refreshed, template)" in output  # load_demo wrote it: refreshed, once
    assert Retrospective.objects.filter(window_start=window.start, window_end=window.end).count() == 1
    assert retro.insights, "the demo's last sprint yields at least one finding"
    for insight in retro.insights:
        assert insight["finding"] and insight["recommendation"] and insight["impact"] in {"high", "medium", "low"}
    items = list(retro.backlog_items.all())
    assert items, "and at least one backlog item, pushed nowhere (a dry run)"
    for item in items:
        assert item.evidence and item.status == "dry_run"


def test_given_the_demo_loaded_twice_then_there_is_still_one_retrospective(demo):
    with override_settings(AI_PROVIDER="offline", RETRO_PUSH=False):
        load_retrospectives()

    assert Retrospective.objects.count() == 1
