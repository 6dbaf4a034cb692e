"""Retrospectives (issue 11, part 5): the window's figures against hand counts, the findings and their evidence, the
backlog they propose, the offline narrative, one retrospective per window, a published one never rewritten, the daily
schedule and the management command. The data: ``tests.insights.retro_data`` (its docstring has the hand counts)."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_celery_beat.models import PeriodicTask
from scipy import stats as sps

from insights import experiments, retro_facts, retrospectives
from insights.choices import BacklogStatus, RetroKind, RetroStatus
from insights.models import RetroBacklogItem, Retrospective
from insights.retrospectives import launch_findings
from tests.factories import make_feedback, make_launch, make_theme
from tests.insights.retro_data import NOW, WINDOW, noon, sprint
from tests.insights.test_escalations_concurrency import in_threads

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def offline(settings):
    settings.AI_PROVIDER = "offline"
    settings.RETRO_PUSH = False
    settings.HUB_BASE_URL = "https://hub.example"
    settings.RETRO_SPRINT_ANCHOR, settings.RETRO_SPRINT_DAYS = "2026-01-05", 14


def write(**fields):
    return retrospectives.write_retrospective(
        kind=RetroKind.SPRINT, window_start=WINDOW.start, window_end=WINDOW.end, now=NOW, **fields
    )


def t_interval(values: list[float]) -> tuple[float, float]:
    """The 95 % Student t interval of a mean, from the textbook formula (independent of the code under test)."""
    n, mean = len(values), sum(values) / len(values)
    s = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    half = sps.t.ppf(0.975, n - 1) * s / math.sqrt(n)
    return mean - half, mean + half


# --- facts ---------------------------------------------------------------------------------------------------------


def test_given_a_sprint_then_feedback_in_matches_the_hand_count():
    sprint()

    facts = retro_facts.read_facts(WINDOW, now=NOW)["feedback"]

    assert (facts["n"], facts["previous_n"], facts["sentiment_n"]) == (14, 2, 8)
    assert facts["mean_sentiment"] == pytest.approx(-0.0125)
    assert [(row["category"], row["n"]) for row in facts["by_category"]] == [
        ("feature_request", 6),
        ("praise", 5),
        ("bug", 3),
    ]
    assert [(row["sentiment"], row["n"]) for row in facts["by_sentiment"]] == [
        ("", 6),
        ("positive", 5),
        ("negative", 3),
    ]


def test_given_a_sprint_then_what_shipped_escalations_surveys_and_experiments_match_the_hand_counts():
    data = sprint()

    facts = retro_facts.read_facts(WINDOW, now=NOW)

    assert [(row["name"], row["shipped_on"], row["themes"]) for row in facts["shipped"]["launches"]] == [
        ("Batch v2", "2026-01-12", [data.theme.pk])
    ]
    assert [row["name"] for row in facts["shipped"]["themes"]] == ["Batch API"]
    escalations = facts["escalations"]
    assert (escalations["raised"], escalations["resolved"], escalations["open_at_end"]) == (2, 2, 1)
    assert escalations["median_hours_to_resolve"] == 77.0  # 10 h and 144 h
    assert [row["id"] for row in escalations["open"]] == [data.open_escalation.pk]
    surveys = facts["surveys"]
    assert (surveys["nps_n"], surveys["promoters"], surveys["passives"], surveys["detractors"], surveys["nps"]) == (
        5,
        2,
        1,
        2,
        0,
    )
    assert (surveys["csat_n"], surveys["satisfied"], surveys["csat"]) == (3, 2, 67)
    assert [(row["key"], row["winner"]) for row in facts["experiments"]] == [("retro-onboarding", None)]
    assert facts["experiments"][0]["reasons"]  # why there is no winner
    assert [(row["theme"], row["items"], row["previous_items"]) for row in facts["growing_themes"]] == [
        ("SSO for contractors", 6, 0)
    ]
    assert facts["growing_themes"][0]["p_value"] == pytest.approx(1 / 64)


def ended_experiment(key: str, *, planned_end: date, stopped: date | None, concluded: date):
    """An experiment started on 1 Jan, stopped (when ``stopped``) and concluded through the services."""
    experiment = experiments.create_experiment(
        key=key,
        name=key,
        variants=[{"key": "control", "share": 50, "is_control": True}, {"key": "b", "share": 50}],
        metrics=[{"name": "converted", "kind": "proportion", "event": "report_sent"}],
        planned_end_at=noon(planned_end),
    )
    experiments.start_experiment(experiment=experiment, now=noon(date(2026, 1, 1)))
    if stopped:
        experiments.stop_experiment(experiment=experiment, now=noon(stopped))
    return experiments.conclude_experiment(experiment=experiment, now=noon(concluded))


def test_given_experiments_concluded_then_those_that_ended_in_the_window_count_and_older_rows_by_planned_end():
    data = sprint()  # retro-onboarding: concluded with no ended_at (an older row), planned to end 15 Jan
    ended_in = ended_experiment("ended-in", planned_end=date(2026, 2, 1), stopped=None, concluded=date(2026, 1, 10))
    ended_before = ended_experiment(
        "ended-before", planned_end=date(2026, 1, 15), stopped=date(2026, 1, 3), concluded=date(2026, 1, 7)
    )
    ended_after = ended_experiment(
        "ended-after", planned_end=date(2026, 1, 10), stopped=None, concluded=date(2026, 1, 20)
    )

    found = retro_facts.experiments_concluded(WINDOW, now=NOW)

    assert data.experiment.ended_at is None and ended_before.ended_at == noon(date(2026, 1, 3))
    assert [(row["id"], row["key"]) for row in found] == [
        (ended_in.pk, "ended-in"),  # ended 10 Jan, planned for 1 Feb
        (data.experiment.pk, "retro-onboarding"),  # no ended_at: its planned end, 15 Jan
    ]
    assert ended_after.pk not in {row["id"] for row in found}  # planned in the window, concluded after it


def test_given_a_launch_then_sentiment_before_and_after_comes_with_n_t_intervals_and_a_welch_difference():
    data = sprint()

    (effect,) = retro_facts.read_facts(WINDOW, now=NOW)["launch_effects"]

    before, after = effect["before"], effect["after"]
    assert (effect["launch_id"], effect["theme_id"]) == (data.launch.pk, data.theme.pk)
    assert (before["items"], before["sentiment_n"], before["days"]) == (5, 5, 14)
    assert (after["items"], after["sentiment_n"], after["days"]) == (5, 5, 8)  # cut at the time of writing
    assert before["mean"] == pytest.approx(-0.6) and after["mean"] == pytest.approx(0.3)
    low, high = t_interval([-0.8, -0.6, -0.4, -0.7, -0.5])
    assert (before["ci_low"], before["ci_high"]) == (pytest.approx(low, abs=1e-4), pytest.approx(high, abs=1e-4))
    assert (before["ci_low"], before["ci_high"]) == (pytest.approx(-0.7963, abs=1e-4), pytest.approx(-0.4037, abs=1e-4))
    assert (after["ci_low"], after["ci_high"]) == (pytest.approx(0.1037, abs=1e-4), pytest.approx(0.4963, abs=1e-4))
    # Welch: se = √(0.025/5 + 0.025/5) = 0.1, df = 8, t(0.975, 8) = 2.306004
    difference = effect["difference"]
    assert difference["difference"] == pytest.approx(0.9)
    assert (difference["ci_low"], difference["ci_high"]) == (
        pytest.approx(0.6694, abs=1e-4),
        pytest.approx(1.1306, abs=1e-4),
    )
    assert difference["p_value"] < 0.001
    assert effect["negative_after_ids"] == []  # nothing negative after the launch


def test_given_one_answer_on_a_side_then_there_is_no_interval_and_no_difference():
    assert retro_facts.mean_interval(1, 0.4, 0.16) == {"sentiment_n": 1, "mean": 0.4, "ci_low": None, "ci_high": None}
    assert retro_facts.compare((1, 0.4, 0.16), (5, 1.5, 0.55)) is None


# --- findings ------------------------------------------------------------------------------------------------------


def effect(before_mean, after_mean, ci, n=(10, 10)) -> dict:
    side = {"items": 10, "days": 14.0}
    return {
        "launch_id": 1,
        "launch": "Batch v2",
        "shipped_on": "2026-01-12",
        "theme_id": 2,
        "theme": "Batch API",
        "before": {**side, "mean": before_mean, "sentiment_n": n[0]},
        "after": {**side, "mean": after_mean, "sentiment_n": n[1]},
        "difference": {"difference": after_mean - before_mean, "ci_low": ci[0], "ci_high": ci[1], "p_value": 0.3},
        "negative_after_ids": [7, 8],
    }


@pytest.mark.parametrize(
    ("ci", "kind", "impact", "verdict", "backlog"),
    [
        ((0.1, 0.5), "worked", "low", "improved", False),
        ((-0.1, 0.3), "failed", "medium", "did not improve", True),
        ((-0.5, -0.1), "failed", "high", "fell", True),
    ],
)
def test_given_a_launch_effect_then_the_finding_follows_the_interval(ci, kind, impact, verdict, backlog):
    (finding,) = launch_findings(effect(-0.3, -0.2, ci))

    assert (finding["kind"], finding["impact"]) == (kind, impact)
    assert verdict in finding["finding"] and "n = 10" in finding["finding"]
    assert bool(finding["backlog_title"]) is backlog
    assert finding["evidence"] == {"launches": [1], "themes": [2], "feedback": [7, 8]}


def test_given_too_few_answers_after_a_launch_then_it_is_too_early_to_tell():
    (finding,) = launch_findings(effect(-0.3, 0.4, (0.2, 1.2), n=(10, 4)))

    assert (finding["kind"], finding["impact"], finding["backlog_title"]) == ("watch", "low", "")
    assert "Too early to tell" in finding["finding"]


def test_given_a_sprint_then_the_findings_and_backlog_items_each_carry_their_evidence():
    data = sprint()

    retro = write().retrospective

    by_key = {row["key"]: row for row in retro.insights}
    assert set(by_key) == {
        f"launch:{data.launch.pk}:theme:{data.theme.pk}",
        "escalations:open",
        f"growing:theme:{data.growing.pk}",
        f"experiment:{data.experiment.pk}",
    }
    assert by_key[f"launch:{data.launch.pk}:theme:{data.theme.pk}"]["kind"] == "worked"
    assert by_key["escalations:open"]["impact"] == "high"  # the open one is high severity
    assert retro.insights[0]["impact"] == "high"  # most impact first
    items = {item.title: item for item in retro.backlog_items.all()}
    assert set(items) == {"Resolve 1 open escalation", "Decide on SSO for contractors: growing with no launch"}
    growing = items["Decide on SSO for contractors: growing with no launch"]
    assert growing.evidence == {
        "themes": [data.growing.pk],
        "feedback": sorted((item.pk for item in data.growing_items), reverse=True),
    }
    assert growing.status == BacklogStatus.DRY_RUN and growing.external_key == ""
    assert f"https://hub.example/admin/themes/theme/{data.growing.pk}/change/" in growing.body
    assert f"https://hub.example/admin/insights/retrospective/{retro.pk}/change/" in growing.body
    escalation = items["Resolve 1 open escalation"]
    assert escalation.evidence["escalations"] == [data.open_escalation.pk]


def test_given_no_key_then_the_narrative_is_the_clean_offline_template():
    sprint()

    retro = write().retrospective

    assert retro.written_by == "template"
    assert retro.title == "Sprint retrospective: 5–18 Jan 2026"
    text = retro.narrative
    assert text.startswith("# Sprint retrospective: 5–18 Jan 2026\n\n## In numbers\n")
    assert "- **Feedback in**: 14 items (window before: 2); mean sentiment -0.01 (n = 8)" in text
    assert "- **Escalations**: 2 raised, 2 resolved (median 77.0 h to resolve); 1 of those raised still open" in text
    assert "NPS 0 (n = 5" in text and "CSAT 67 % (n = 3)" in text
    assert "## Before and after each launch" in text and "## What worked" in text and "## Next" in text
    assert "difference 0.90 (95 % CI 0.67 to 1.13)" in text
    assert "\n\n\n" not in text and "{%" not in text and "  \n" not in text


# --- one per window; drafts refresh; published never rewritten ---------------------------------------------------


def test_given_a_draft_then_writing_it_again_refreshes_it_without_duplicating_its_backlog():
    data = sprint()
    first = write()
    make_feedback(received_at=noon(datetime(2026, 1, 9).date()), customer=data.before[0].customer)

    second = write()

    assert (first.outcome, second.outcome) == (retrospectives.CREATED, retrospectives.REFRESHED)
    assert Retrospective.objects.count() == 1
    assert second.retrospective.facts["feedback"]["n"] == 15
    assert RetroBacklogItem.objects.count() == 2


def test_given_a_published_retrospective_then_it_is_never_rewritten():
    data = sprint()
    retro = write().retrospective
    retrospectives.publish_retrospective(retrospective=retro)
    make_feedback(received_at=noon(datetime(2026, 1, 9).date()), customer=data.before[0].customer)

    again = write()

    assert again.outcome == retrospectives.KEPT
    retro.refresh_from_db()
    assert retro.status == RetroStatus.PUBLISHED
    assert retro.facts["feedback"]["n"] == 14


def test_given_a_window_that_ends_before_it_starts_then_it_is_refused():
    with pytest.raises(ValidationError):
        retrospectives.write_retrospective(kind=RetroKind.SPRINT, window_start=WINDOW.end, window_end=WINDOW.start)
    with pytest.raises(ValidationError):
        retrospectives.window_for_days(WINDOW.end.date(), WINDOW.start.date())


# --- the schedule --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2026, 1, 18, 23, tzinfo=UTC), None),  # the first sprint has not ended
        (datetime(2026, 1, 19, tzinfo=UTC), (WINDOW.start, WINDOW.end)),
        (datetime(2026, 2, 1, 23, tzinfo=UTC), (WINDOW.start, WINDOW.end)),
        (datetime(2026, 2, 2, 6, tzinfo=UTC), (datetime(2026, 1, 19, tzinfo=UTC), datetime(2026, 2, 2, tzinfo=UTC))),
    ],
)
def test_given_the_anchor_and_length_then_the_last_ended_sprint_is_found(now, expected):
    window = retrospectives.last_ended_sprint(now)

    assert ((window.start, window.end) if window else None) == expected


def test_given_a_sprint_has_ended_then_the_daily_run_writes_its_retrospective_once():
    sprint()

    first = retrospectives.write_due_retrospective(now=NOW)
    second = retrospectives.write_due_retrospective(now=NOW)
    third = retrospectives.write_due_retrospective(now=datetime(2026, 1, 25, 6, tzinfo=UTC))

    assert first is not None and first.outcome == retrospectives.CREATED
    assert (first.retrospective.window_start, first.retrospective.window_end) == (WINDOW.start, WINDOW.end)
    assert (second, third) == (None, None)
    assert Retrospective.objects.count() == 1


def test_given_the_task_then_it_writes_the_last_ended_sprint_through_the_service():
    from insights import tasks

    first = tasks.write_due_retrospective.apply().get()
    second = tasks.write_due_retrospective.apply().get()

    window = retrospectives.last_ended_sprint()
    assert Retrospective.objects.get(pk=first).window_start == window.start
    assert second is None


# --- the command -------------------------------------------------------------------------------------------------


def test_given_dates_then_the_command_prints_the_narrative():
    sprint()
    out = StringIO()

    call_command("write_retrospective", "--start", "2026-01-05", "--end", "2026-01-18", stdout=out)

    text = out.getvalue()
    assert text.startswith("# Sprint retrospective: 5–18 Jan 2026\n\n## In numbers")
    assert "(created: retrospective #" in text and "2 backlog item(s), draft)" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--start", "2026-13-01", "--end", "2026-01-18"], "--start '2026-13-01': expected a date as YYYY-MM-DD"),
        (["--start", "2026-01-05", "--end", "18/01/2026"], "--end '18/01/2026': expected a date as YYYY-MM-DD"),
        (["--start", "2026-01-18", "--end", "2026-01-05"], "ends (2026-01-05) before it starts (2026-01-18)"),
        (["--start", "2026-01-05"], "Give both --start and --end"),
    ],
)
def test_given_bad_dates_then_the_command_says_what_is_wrong(args, message):
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call_command("write_retrospective", *args, stdout=StringIO())
    assert Retrospective.objects.count() == 0


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_given_two_writers_of_one_window_at_once_then_there_is_one_retrospective():
    sprint()

    results = in_threads(2, write)

    assert sorted(result.outcome for result in results) == [retrospectives.CREATED, retrospectives.REFRESHED], results
    assert Retrospective.objects.count() == 1
    assert len({result.retrospective.pk for result in results}) == 1
    assert RetroBacklogItem.objects.count() == 2


def test_given_a_fresh_install_then_the_daily_schedule_writes_the_ended_sprint_with_an_expiry():
    task = PeriodicTask.objects.get(task="insights.tasks.write_due_retrospective")

    assert task.enabled and task.crontab is not None and task.crontab.hour == "6"
    assert 0 < task.expire_seconds <= 24 * 3600


def test_given_more_launches_and_themes_then_reading_the_facts_takes_no_more_queries():
    sprint()
    with CaptureQueriesContext(connection) as one:
        retro_facts.read_facts(WINDOW, now=NOW)
    for n in range(3):
        theme = make_theme(name=f"More {n}")
        make_launch(
            name=f"More {n}",
            status="shipped",
            shipped_on=date(2026, 1, 8 + n),
            target_date=date(2026, 1, 8 + n),
            themes=[theme],
        )
        make_feedback(received_at=noon(date(2026, 1, 9)), sentiment_score=0.1).themes.add(theme)

    with CaptureQueriesContext(connection) as four:
        facts = retro_facts.read_facts(WINDOW, now=NOW)

    assert len(facts["launch_effects"]) == 4
    assert len(facts["growing_themes"]) == 1
    # 17, and 3 for the one experiment concluded (itself, its variants, its exposures; no metric: too few subjects)
    assert len(four) == len(one) == 17 + 3, [query["sql"][:80] for query in four]
