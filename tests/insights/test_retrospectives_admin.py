"""Retrospectives in the admin: the list, a retrospective's page (narrative, findings, figures as tables, backlog with
its status), "Write retrospective" for a chosen window, "Publish" and "Push to tracker" through the services."""

from __future__ import annotations

import pytest
from django.urls import reverse

from insights import retrospectives
from insights.choices import BacklogStatus, RetroKind, RetroStatus
from insights.models import RetroBacklogItem, Retrospective
from tests.insights.retro_data import NOW, WINDOW, sprint
from tests.insights.tracker_stub import TrackerStub

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:insights_retrospective_changelist"


@pytest.fixture(autouse=True)
def offline(settings):
    settings.AI_PROVIDER = "offline"
    settings.RETRO_PUSH = False
    settings.RETRO_SPRINT_ANCHOR, settings.RETRO_SPRINT_DAYS = "2026-01-05", 14


@pytest.fixture
def retro():
    sprint()
    return retrospectives.write_retrospective(
        kind=RetroKind.SPRINT, window_start=WINDOW.start, window_end=WINDOW.end, now=NOW
    ).retrospective


def change(pk: int) -> str:
    return reverse("admin:insights_retrospective_change", args=[pk])


def test_given_retrospectives_then_the_list_shows_them_in_a_bounded_number_of_queries(
    admin_client, retro, django_assert_max_num_queries
):
    with django_assert_max_num_queries(12):
        response = admin_client.get(reverse(CHANGELIST))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Sprint retrospective: 5–18 Jan 2026" in page and "Write retrospective" in page


def test_given_a_retrospective_then_its_page_reads_as_the_narrative_findings_figures_and_backlog(admin_client, retro):
    page = admin_client.get(change(retro.pk)).content.decode()

    assert "<h3>In numbers</h3>" in page and "<strong>Feedback in</strong>: 14 items" in page
    assert "retro-findings" in page and "binomial test p = 0.0156" in page
    assert "retro-effects" in page and "Batch v2 → Batch API" in page
    assert "0.900 (0.669 to 1.131, p = 0.0000)" in page  # the Welch difference with its interval
    assert "Resolve 1 open escalation" in page and "Dry run (not pushed)" in page
    assert "Publish" in page and "Push to tracker" in page


def test_given_the_form_then_a_person_writes_the_retrospective_of_the_chosen_window(admin_client):
    sprint()
    url = reverse("admin:insights_retrospective_write_now")

    form = admin_client.get(url)
    response = admin_client.post(url, {"kind": "sprint", "start": "2026-01-05", "end": "2026-01-18"})

    last = retrospectives.last_ended_sprint()
    assert f'value="{last.start.date()}"' in form.content.decode()  # the last ended sprint by default
    retro = Retrospective.objects.get()
    assert response.status_code == 302 and response["Location"] == change(retro.pk)
    assert (retro.window_start, retro.window_end) == (WINDOW.start, WINDOW.end)
    assert retro.created_by.username == "admin" and retro.backlog_items.count() == 2


def test_given_a_window_that_ends_before_it_starts_then_the_form_says_so_and_writes_nothing(admin_client):
    response = admin_client.post(
        reverse("admin:insights_retrospective_write_now"),
        {"kind": "sprint", "start": "2026-01-18", "end": "2026-01-05"},
    )

    assert response.status_code == 200
    assert "ends (2026-01-05) before it starts (2026-01-18)" in response.content.decode()
    assert Retrospective.objects.count() == 0


def test_given_publish_then_a_link_changes_nothing_and_the_confirmation_publishes(admin_client, retro):
    url = reverse("admin:insights_retrospective_publish_one", args=[retro.pk])

    admin_client.get(url)
    retro.refresh_from_db()
    assert retro.status == RetroStatus.DRAFT
    admin_client.post(url)

    retro.refresh_from_db()
    assert retro.status == RetroStatus.PUBLISHED


def test_given_push_to_tracker_then_the_person_pushes_every_item_even_in_dry_run_mode(admin_client, retro, settings):
    with TrackerStub() as tracker:
        settings.RETRO_LINEAR_TEAM_ID = "team-1"
        settings.CONNECTORS = {**settings.CONNECTORS, "linear": {"token": "lin_api_test", "base_url": tracker.url}}

        response = admin_client.post(reverse("admin:insights_retrospective_push_one", args=[retro.pk]), follow=True)

    assert len(tracker.issues) == 2
    assert set(retro.backlog_items.values_list("status", flat=True)) == {BacklogStatus.PUSHED}
    assert "pushed (RET-1)" in response.content.decode()


def test_given_the_backlog_list_then_push_to_tracker_names_each_failure(admin_client, retro, settings):
    settings.RETRO_LINEAR_TEAM_ID = ""
    items = list(RetroBacklogItem.objects.values_list("pk", flat=True))

    response = admin_client.post(
        reverse("admin:insights_retrobacklogitem_changelist"),
        {"action": "push_items", "_selected_action": items},
        follow=True,
    )

    assert "not pushed: No Linear team: set RETRO_LINEAR_TEAM_ID." in response.content.decode()
    assert set(RetroBacklogItem.objects.values_list("status", flat=True)) == {BacklogStatus.FAILED}
