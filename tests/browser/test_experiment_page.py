"""The experiment result page in a real browser: a running A/B experiment whose exposures and conversions arrived as
product events shows its result (the counts, the difference with its interval and p-value, the sample ratio check,
the winner or the reasons there is none), and its Conclude button concludes it."""

from __future__ import annotations

import re
from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from insights import events, experiments
from insights.choices import ExperimentStatus
from insights.models import Experiment
from tests.browser.support import console_errors, screenshot
from tests.factories import make_customer

METRICS = [{"name": "sent a report", "kind": "proportion", "event": "report_sent"}]


def running(key: str) -> Experiment:
    now = timezone.now()
    experiment = experiments.create_experiment(
        key=key,
        name=f"Report wizard ({key})",
        variants=[
            {"key": "control", "name": "Old form", "share": 50, "is_control": True},
            {"key": "wizard", "name": "Wizard", "share": 50},
        ],
        metrics=METRICS,
        planned_end_at=now - timedelta(hours=1),
        min_sample_per_variant=100,
    )
    return experiments.start_experiment(experiment=experiment, now=now - timedelta(days=14))


def send_events(experiment: Experiment, *, per_variant: int, converted: dict[str, int]) -> None:
    """Exposures and conversions as a product sends them, through the events intake (``insights.events``)."""
    customer, items = make_customer(), []
    day = experiment.start_at + timedelta(days=2)
    for variant in ("control", "wizard"):
        for i in range(per_variant):
            subject = f"{experiment.key}-{variant}-{i}"
            base = {"customer": customer.pk, "contact": f"{subject}@example.com"}
            items.append(
                {
                    **base,
                    "event_id": f"exp-{subject}",
                    "name": "experiment_exposure",
                    "occurred_at": day.isoformat(),
                    "properties": {"experiment": experiment.key, "variant": variant, "subject": subject},
                }
            )
            if i < converted.get(variant, 0):
                items.append(
                    {
                        **base,
                        "event_id": f"conv-{subject}",
                        "name": "report_sent",
                        "occurred_at": (day + timedelta(hours=3)).isoformat(),
                        "properties": {"subject": subject},
                    }
                )
    results = events.record_events(items=items)
    assert {result.status for result in results} == {"created"}


def test_given_a_running_experiment_with_events_then_its_page_shows_the_result_and_conclude_concludes_it(open_page, pm):
    experiment = running("report-wizard")
    send_events(experiment, per_variant=300, converted={"control": 60, "wizard": 105})
    early = running("too-early")
    send_events(early, per_variant=40, converted={"control": 5, "wizard": 9})
    page = open_page(user=pm)

    page.goto(f"/admin/insights/experiment/{experiment.pk}/change/")

    result = page.locator("table.experiment-result")
    expect(result.first).to_contain_text("300")  # exposed subjects per variant
    expect(result.nth(1)).to_contain_text("60 / 300 (20.00%)")
    expect(result.nth(1)).to_contain_text("105 / 300 (35.00%)")
    expect(result.nth(1)).to_contain_text("+0.15")  # the difference
    expect(result.nth(1)).to_contain_text("higher is better")  # which way the metric wins
    expect(result.nth(1)).to_contain_text("yes, better")
    expect(page.get_by_text(re.compile(r"Sample ratio check: χ² p = 1"))).to_be_visible()
    expect(page.get_by_text("Winner: wizard")).to_be_visible()
    assert console_errors(page) == []
    screenshot(page, "experiment-result")

    page.get_by_role("link", name=re.compile("Conclude")).click()
    expect(page.get_by_text("the decision is taken")).to_be_visible()
    page.get_by_role("button", name="Conclude").click()

    expect(page.get_by_text("Concluded: report-wizard.")).to_be_visible()
    page.wait_for_url(re.compile(rf"/admin/insights/experiment/{experiment.pk}/change/$"))
    experiment.refresh_from_db()
    assert experiment.status == ExperimentStatus.CONCLUDED
    expect(page.get_by_role("link", name=re.compile("Conclude"))).to_have_count(0)  # no step left to take
    expect(page.get_by_text("Winner: wizard")).to_be_visible()  # the result stays

    page.goto(f"/admin/insights/experiment/{early.pk}/change/")
    expect(page.get_by_text("No winner", exact=True)).to_be_visible()
    expect(page.get_by_text(re.compile("Not enough data: each variant needs 100 exposed subjects"))).to_be_visible()
    assert console_errors(page) == []
