"""A stored experiment analysed from its product events: counts, tests, SRM, horizon, and a winner or why not."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from insights import experiments
from insights.choices import ExperimentAnalysis
from insights.models import ProductEvent
from tests.factories import make_customer

pytestmark = pytest.mark.django_db

START = datetime(2026, 11, 1, tzinfo=UTC)
END = datetime(2026, 11, 29, tzinfo=UTC)
AFTER = END + timedelta(days=1)
METRICS = [
    {"name": "sent a report", "kind": "proportion", "event": "report_sent"},
    {"name": "upgrade amount", "kind": "mean", "event": "upgraded", "property": "amount"},
]


class Events:
    """Builds product events for one customer; subjects are named by properties.subject."""

    def __init__(self, prefix: str = "e"):
        self.customer, self.prefix = make_customer(), prefix
        self.rows: list[ProductEvent] = []

    def add(self, name: str, at: datetime, **properties) -> None:
        self.rows.append(
            ProductEvent(
                event_id=f"{self.prefix}{len(self.rows)}",
                name=name,
                customer=self.customer,
                occurred_at=at,
                properties=properties,
            )
        )

    def expose(self, subject: str, variant: str, at: datetime, key: str = "report-wizard") -> None:
        self.add("experiment_exposure", at, experiment=key, variant=variant, subject=subject)

    def save(self) -> None:
        ProductEvent.objects.bulk_create(self.rows)


def running(metrics=METRICS, **fields):
    fields = {"planned_end_at": END, "min_sample_per_variant": 100, **fields}
    experiment = experiments.create_experiment(
        key="report-wizard",
        name="Report wizard",
        variants=[
            {"key": "control", "name": "Old form", "share": 50, "is_control": True},
            {"key": "wizard", "name": "Wizard", "share": 50},
        ],
        metrics=metrics,
        **fields,
    )
    return experiments.start_experiment(experiment=experiment, now=START)


def reference_data(*, control=1000, treatment=1000, converted=250) -> Events:
    """200 of 1,000 control subjects and 250 of 1,000 wizard subjects send a report after their exposure."""
    events = Events()
    day = START + timedelta(days=1)
    for i in range(control):
        events.expose(f"c{i}", "control", day)
        if i < 200:
            events.add("report_sent", day + timedelta(hours=1), subject=f"c{i}")
            events.add("report_sent", day + timedelta(hours=2), subject=f"c{i}")  # twice: still one subject
    for i in range(treatment):
        events.expose(f"w{i}", "wizard", day)
        events.expose(f"w{i}", "wizard", day + timedelta(days=1))  # exposed again: counted once
        if i < converted:
            events.add("report_sent", day + timedelta(hours=1), subject=f"w{i}", amount=3)
            events.add("upgraded", day + timedelta(hours=3), subject=f"w{i}", amount=10.0)
    # not counted: a report before the exposure, after the window, by nobody exposed, another experiment's exposure
    events.add("report_sent", day - timedelta(hours=1), subject="c500")
    events.add("report_sent", END + timedelta(hours=1), subject="c600")
    events.add("report_sent", day, subject="stranger")
    events.expose("c700", "wizard", day, key="other-experiment")
    # a subject seen in both variants is left out and counted
    events.expose("both", "control", day)
    events.expose("both", "wizard", day)
    events.save()
    return events


def test_proportions_from_events_reproduce_the_reference_and_declare_the_winner(django_assert_max_num_queries):
    experiment = running()
    reference_data()

    with django_assert_max_num_queries(4):  # variants, counts, one per metric
        analysis = experiments.analyze(experiment, now=AFTER)

    assert {arm.key: arm.exposed for arm in analysis.arms} == {"control": 1000, "wizard": 1000}
    assert analysis.multiple_exposures == 1
    report = analysis.results[0]
    assert (report.metric, report.variant) == ("sent a report", "wizard")
    assert (report.control["conversions"], report.treatment["conversions"]) == (200, 250)
    assert (round(report.comparison.ci_low, 5), round(report.comparison.ci_high, 5)) == (0.01344, 0.08656)
    assert round(report.comparison.p_value, 6) == 0.007374
    assert report.significant  # Holm over 2 tests: 2 × 0.0074 < 0.05
    assert analysis.srm.p_value == pytest.approx(1.0) and not analysis.srm.flagged
    assert analysis.winner == "wizard" and analysis.reasons == []
    assert analysis.window == (START, END)


def test_a_mean_metric_averages_the_property_per_exposed_subject():
    experiment = running()
    reference_data()

    upgrade = experiments.analyze(experiment, now=AFTER).results[1]

    assert upgrade.treatment == {"n": 1000, "conversions": 250, "sum": 2500.0, "sum_squares": 25000.0}
    assert upgrade.comparison.control_mean == 0 and upgrade.comparison.treatment_mean == pytest.approx(2.5)


def test_fixed_horizon_gives_no_winner_before_the_planned_end():
    experiment = running()
    reference_data()

    analysis = experiments.analyze(experiment, now=END - timedelta(days=1))

    assert analysis.results_shown and analysis.results[0].significant
    assert analysis.winner is None
    assert any("Fixed horizon: no winner before the planned end (2026-11-29" in reason for reason in analysis.reasons)


def test_sequential_analysis_may_decide_early_with_its_wider_interval():
    experiment = running(analysis=ExperimentAnalysis.SEQUENTIAL, planned_end_at=None)
    reference_data()

    analysis = experiments.analyze(experiment, now=END - timedelta(days=1))

    report = analysis.results[0]
    assert report.comparison.method == "sequential" and report.comparison.ci_low < 0.01344
    assert analysis.winner is None  # 200 vs 250 of 1,000 is not enough for an always-valid interval
    assert "No significant difference on 'sent a report'" in analysis.reasons[0]


def test_no_result_is_shown_before_the_minimum_sample():
    experiment = running(min_sample_per_variant=1500)
    reference_data()

    analysis = experiments.analyze(experiment, now=AFTER)

    assert not analysis.results_shown and analysis.results == []
    assert analysis.reasons == [
        "Not enough data: each variant needs 1,500 exposed subjects before any result is shown; "
        "control has 1,000, wizard has 1,000."
    ]


def test_a_sample_ratio_mismatch_blocks_the_winner():
    experiment = running()
    reference_data(control=1000, treatment=1200, converted=400)

    analysis = experiments.analyze(experiment, now=AFTER)

    assert analysis.srm.flagged
    assert analysis.results[0].significant  # the test alone would declare the wizard
    assert analysis.winner is None
    assert analysis.reasons[0].startswith("Sample ratio mismatch")


def test_the_command_analyses_a_stored_experiment():
    running()
    reference_data()
    out = StringIO()

    call_command("analyze_experiment", "report-wizard", stdout=out)

    text = out.getvalue().rstrip("\n")
    figures = json.loads(text.splitlines()[-1])
    assert round(figures["difference"], 4) == 0.05 and round(figures["p_value"], 6) == 0.007374
    assert figures["srm_p_value"] == pytest.approx(1.0)
    assert figures["winner"] == "wizard"  # now is after the planned end
    assert "Winner: wizard" in text and "control (control): planned 50 %, exposed 1,000" in text
    with pytest.raises(CommandError, match="No experiment with the key 'nope'"):
        call_command("analyze_experiment", "nope", stdout=StringIO())


# --- The window ends when the experiment stopped collecting ----------------------------------------------------------


def after_the_stop(stopped_at: datetime, subjects: int = 300) -> None:
    """What products log once an experiment is stopped: everyone sees the control, and some still convert."""
    events = Events(prefix="late")
    for i in range(subjects):
        events.expose(f"late{i}", "control", stopped_at + timedelta(hours=1))
        events.add("report_sent", stopped_at + timedelta(hours=2), subject=f"late{i}")
    events.add("report_sent", stopped_at + timedelta(hours=2), subject="w900")  # exposed before, converts after
    events.save()


def test_given_a_stopped_experiment_when_analysed_then_exposures_and_conversions_after_the_stop_are_not_counted():
    experiment = running(analysis=ExperimentAnalysis.SEQUENTIAL, planned_end_at=None)
    reference_data()
    stopped_at = START + timedelta(days=5)
    experiments.stop_experiment(experiment=experiment, now=stopped_at)
    after_the_stop(stopped_at)

    analysis = experiments.analyze(experiment, now=AFTER)

    assert analysis.window == (START, stopped_at)
    assert {arm.key: arm.exposed for arm in analysis.arms} == {"control": 1000, "wizard": 1000}
    assert not analysis.srm.flagged  # the control-for-everyone exposures after the stop would flag it
    assert analysis.results[0].treatment["conversions"] == 250  # w900's report after the stop is not one


def test_given_a_fixed_horizon_stopped_before_its_planned_end_then_no_winner_even_after_the_planned_end():
    experiment = running()
    reference_data()
    stopped_at = END - timedelta(days=7)
    experiments.stop_experiment(experiment=experiment, now=stopped_at)
    after_the_stop(stopped_at)

    analysis = experiments.analyze(experiment, now=AFTER)

    assert analysis.window == (START, stopped_at) and not analysis.srm.flagged
    assert analysis.results[0].significant and analysis.winner is None
    assert analysis.reasons == [
        "Fixed horizon: stopped on 2026-11-22 00:00, before its planned end (2026-11-29 00:00); stopping early is "
        "peeking, so its result cannot declare a winner."
    ]


def test_given_a_concluded_experiment_after_its_planned_end_then_the_window_ends_at_the_planned_end():
    experiment = running()
    reference_data()
    experiments.conclude_experiment(experiment=experiment, now=AFTER)

    analysis = experiments.analyze(experiment, now=AFTER + timedelta(days=3))

    assert analysis.window == (START, END) and analysis.winner == "wizard"


# --- Which way is better ---------------------------------------------------------------------------------------------

SUPPORT = {"name": "sent a report", "kind": "proportion", "event": "report_sent"}  # read as "needed help" below


@pytest.mark.parametrize(("better", "winner"), [("lower", "wizard"), ("higher", "control")])
def test_given_a_treatment_significantly_lower_then_it_wins_only_when_lower_is_better(better, winner):
    experiment = running(metrics=[{**SUPPORT, "better": better}])
    reference_data(converted=150)  # wizard 150 / 1,000 against control 200 / 1,000

    analysis = experiments.analyze(experiment, now=AFTER)

    result = analysis.results[0]
    assert result.comparison.difference == pytest.approx(-0.05) and result.significant
    assert result.better == better and result.improves is (better == "lower")
    assert analysis.winner == winner and analysis.reasons == []


def test_without_better_a_metric_is_higher_is_better_and_the_default_is_not_stored():
    cleaned = experiments.validate_metrics([SUPPORT, {**SUPPORT, "name": "errors", "better": "lower"}])

    assert cleaned == [SUPPORT, {**SUPPORT, "name": "errors", "better": "lower"}]
    experiment = running(metrics=[SUPPORT])
    reference_data(converted=150)
    assert experiments.analyze(experiment, now=AFTER).results[0].better == "higher"


def test_an_unknown_direction_is_refused_with_the_metric_named():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match=r'Metric #1 \(sent a report\): better must be "higher" \(the default\)'):
        experiments.validate_metrics([{**SUPPORT, "better": "smaller"}])


def test_the_command_says_which_way_is_better():
    running(metrics=[{**SUPPORT, "name": "needed help", "better": "lower"}])
    reference_data(converted=150)
    out = StringIO()

    call_command("analyze_experiment", "report-wizard", stdout=out)

    text = out.getvalue()
    assert "needed help (lower is better) — wizard against the control:" in text
    assert "— significant, better" in text and "Winner: wizard" in text
    figures = json.loads(text.rstrip("\n").splitlines()[-1])
    assert figures["results"][0]["better"] == "lower" and figures["winner"] == "wizard"
