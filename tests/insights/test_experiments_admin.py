"""The experiments admin: list and page within a query budget, the variant rule on every save, start / stop through
the services with the refusals spelled out, and the result section (no-winner reasons; difference and p-value)."""

from __future__ import annotations

import json
from datetime import timedelta
from html import unescape

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from insights import experiments
from insights.choices import ExperimentStatus
from insights.models import Experiment, ProductEvent, Variant
from tests.factories import make_customer

pytestmark = pytest.mark.django_db

LIST = reverse("admin:insights_experiment_changelist")
ADD = reverse("admin:insights_experiment_add")
METRICS = [
    {"name": "sent a report", "kind": "proportion", "event": "report_sent"},
    {"name": "upgrade amount", "kind": "mean", "event": "upgraded", "property": "amount"},
]
LIST_BUDGET = 10  # measured 8, the same for 3 and 12 experiments
PAGE_BUDGET = 30  # measured 25: the form, its inline, history, and the analysis (variants, counts, 2 metrics)


def draft(key: str = "report-wizard", *, metrics=METRICS, **fields) -> Experiment:
    fields = {"planned_end_at": timezone.now() - timedelta(days=1), "min_sample_per_variant": 100, **fields}
    return experiments.create_experiment(
        key=key,
        name=f"Experiment {key}",
        variants=[
            {"key": "control", "name": "Old form", "share": 50, "is_control": True},
            {"key": "wizard", "name": "Wizard", "share": 50},
        ],
        metrics=metrics,
        **fields,
    )


def running(key: str = "report-wizard", **fields) -> Experiment:
    return experiments.start_experiment(experiment=draft(key, **fields), now=timezone.now() - timedelta(days=20))


def exposures(experiment: Experiment, *, per_variant: int, converted: dict[str, int]) -> None:
    """``per_variant`` subjects exposed to each variant; the first ``converted[variant]`` of them send a report."""
    customer, rows = make_customer(), []
    day = experiment.start_at + timedelta(days=1)
    for variant in ("control", "wizard"):
        for i in range(per_variant):
            subject = f"{variant}-{i}"
            props = {"experiment": experiment.key, "variant": variant, "subject": subject}
            rows.append(("experiment_exposure", day, props))
            if i < converted.get(variant, 0):
                rows.append(("report_sent", day + timedelta(hours=1), {"subject": subject}))
    ProductEvent.objects.bulk_create(
        ProductEvent(event_id=f"e{n}", name=name, customer=customer, occurred_at=at, properties=props)
        for n, (name, at, props) in enumerate(rows)
    )


def form_data(variants: list[tuple[str, int, bool]], **fields) -> dict:
    data = {
        "key": "onboarding",
        "name": "Onboarding checklist",
        "hypothesis": "",
        "kind": "ab",
        "analysis": "fixed_horizon",
        "planned_end_at_0": "2027-01-31",
        "planned_end_at_1": "00:00:00",
        "metrics": '[{"name": "activated", "kind": "proportion", "event": "report_sent"}]',
        "min_sample_per_variant": "100",
        "correction": "holm",
        "variants-TOTAL_FORMS": str(len(variants)),
        "variants-INITIAL_FORMS": "0",
        "variants-MIN_NUM_FORMS": "2",
        "variants-MAX_NUM_FORMS": "1000",
        **fields,
    }
    for n, (key, share, control) in enumerate(variants):
        data |= {f"variants-{n}-key": key, f"variants-{n}-name": key.title(), f"variants-{n}-share": str(share)}
        if control:
            data[f"variants-{n}-is_control"] = "on"
    return data


def notes(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_the_list_and_a_running_experiments_page_render_within_the_query_budget(
    admin_client, django_assert_max_num_queries
):
    for n in range(8):
        running(f"exp-{n}")
    experiment = Experiment.objects.get(key="exp-0")
    exposures(experiment, per_variant=120, converted={"control": 20, "wizard": 40})

    with django_assert_max_num_queries(LIST_BUDGET):
        listing = admin_client.get(LIST)
    with django_assert_max_num_queries(PAGE_BUDGET):
        page = admin_client.get(reverse("admin:insights_experiment_change", args=[experiment.pk]))

    assert listing.status_code == 200 and len(listing.context["cl"].result_list) == 8
    assert "exp-7" in listing.content.decode() and "Running" in listing.content.decode()
    assert page.status_code == 200 and "Winner: wizard" in page.content.decode()


def test_a_new_experiment_is_created_with_its_variants_through_the_service(admin_client):
    response = admin_client.post(ADD, form_data([("control", 50, True), ("checklist", 50, False)]))

    assert response.status_code == 302, response.context["errors"] if response.context else response
    experiment = Experiment.objects.get(key="onboarding")
    assert experiment.status == ExperimentStatus.DRAFT
    assert sorted(experiment.variants.values_list("key", "share", "is_control")) == [
        ("checklist", 50, False),
        ("control", 50, True),
    ]


@pytest.mark.parametrize(
    ("variants", "message"),
    [
        ([("control", 60, True), ("checklist", 60, False)], "they sum to 120 %"),
        ([("control", 50, True), ("checklist", 50, True)], "Exactly one variant must be the control; 2 are."),
        ([("control", 50, False), ("checklist", 50, False)], "Exactly one variant must be the control; 0 are."),
    ],
)
def test_an_invalid_variant_set_is_refused_with_the_rule_and_nothing_is_saved(admin_client, variants, message):
    response = admin_client.post(ADD, form_data(variants))

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Experiment.objects.exists() and not Variant.objects.exists()


def test_changing_a_drafts_shares_off_100_is_refused_and_the_stored_shares_stay(admin_client):
    experiment = draft()
    control, wizard = experiment.variants.order_by("-is_control")
    data = form_data(
        [],
        key=experiment.key,
        name=experiment.name,
        metrics='[{"name": "a", "kind": "proportion", "event": "report_sent"}]',
    )
    data |= {"variants-TOTAL_FORMS": "2", "variants-INITIAL_FORMS": "2"}
    for n, (variant, share) in enumerate([(control, 50), (wizard, 70)]):
        data |= {
            f"variants-{n}-id": str(variant.pk),
            f"variants-{n}-experiment": str(experiment.pk),
            f"variants-{n}-key": variant.key,
            f"variants-{n}-name": variant.name,
            f"variants-{n}-share": str(share),
        }
        if variant.is_control:
            data[f"variants-{n}-is_control"] = "on"

    response = admin_client.post(reverse("admin:insights_experiment_change", args=[experiment.pk]), data)

    assert response.status_code == 200 and "they sum to 120 %" in response.content.decode()
    assert sorted(experiment.variants.values_list("share", flat=True)) == [50, 50]
    experiment.refresh_from_db()
    assert experiment.metrics[0]["name"] == "sent a report"  # the experiment's own fields were not saved either


def test_start_and_stop_go_through_the_services_and_say_why_one_is_refused(admin_client):
    ready = draft("ready", planned_end_at=timezone.now() + timedelta(days=30))
    no_metrics = draft("no-metrics", metrics=[])

    started = admin_client.post(LIST, {"action": "start", "_selected_action": [ready.pk, no_metrics.pk]}, follow=True)

    ready.refresh_from_db(), no_metrics.refresh_from_db()
    assert (ready.status, no_metrics.status) == (ExperimentStatus.RUNNING, ExperimentStatus.DRAFT)
    assert ready.start_at is not None  # set by start_experiment
    said = notes(started)
    assert "Started: ready." in said
    assert "no-metrics: not started. Name at least one success metric before starting." in said

    stopped = admin_client.post(LIST, {"action": "stop", "_selected_action": [ready.pk, no_metrics.pk]}, follow=True)

    ready.refresh_from_db(), no_metrics.refresh_from_db()
    assert (ready.status, no_metrics.status) == (ExperimentStatus.STOPPED, ExperimentStatus.DRAFT)
    assert "Stopped: ready." in notes(stopped)
    assert any(m.startswith("no-metrics: not stopped. This experiment cannot become stopped") for m in notes(stopped))


def test_the_result_gives_the_reasons_there_is_no_winner_before_the_minimum_sample(admin_client):
    experiment = running()
    exposures(experiment, per_variant=30, converted={"control": 5, "wizard": 10})

    html = admin_client.get(reverse("admin:insights_experiment_change", args=[experiment.pk])).content.decode()

    assert "No winner" in html
    assert "Not enough data: each variant needs 100 exposed subjects" in html
    assert "control has 30, wizard has 30" in html
    assert "p-value" not in html  # no figure before the minimum sample


def test_the_result_shows_counts_difference_ci_p_value_srm_and_the_winner(admin_client):
    experiment = running()
    exposures(experiment, per_variant=1000, converted={"control": 200, "wizard": 250})

    html = admin_client.get(reverse("admin:insights_experiment_change", args=[experiment.pk])).content.decode()

    assert "200 / 1,000 (20.00%)" in html and "250 / 1,000 (25.00%)" in html
    assert "+0.05" in html and "(+0.01344, +0.08656)" in html  # difference and its CI (the reference values)
    assert "0.007374" in html  # p-value
    assert "Sample ratio check: χ² p = 1" in html
    assert "Winner: wizard" in html


def test_a_lower_is_better_metric_says_so_and_its_lower_variant_wins(admin_client):
    needed_help = {"name": "needed help", "kind": "proportion", "event": "report_sent", "better": "lower"}
    experiment = running(metrics=[needed_help])
    exposures(experiment, per_variant=1000, converted={"control": 250, "wizard": 200})

    html = admin_client.get(reverse("admin:insights_experiment_change", args=[experiment.pk])).content.decode()

    assert "needed help<br><small" in html and ">lower is better</small>" in html and "yes, better" in html
    assert "-0.05" in html and "Winner: wizard" in html


def test_the_form_explains_which_way_is_better(admin_client):
    form = unescape(admin_client.get(ADD).content.decode())
    assert '"better" is "higher" (the default) or "lower" (errors, time to value, support cases)' in form


@pytest.mark.parametrize(
    ("metric", "message"),
    [
        ({"kind": "proportion", "better": "less"}, 'Metric #1 (errors): better must be "higher" (the default) or'),
        ({"kind": "median", "better": "lower"}, "Metric #1 (errors): kind must be one of proportion, mean."),
    ],
)
def test_an_invalid_metric_is_refused_on_the_form_with_the_services_message(admin_client, metric, message):
    metrics = json.dumps([{"name": "errors", "event": "report_sent", **metric}])

    response = admin_client.post(ADD, form_data([("control", 50, True), ("b", 50, False)], metrics=metrics))

    assert response.status_code == 200 and not Experiment.objects.exists()
    assert message in unescape(response.content.decode())


def test_a_draft_page_has_no_result_and_a_started_one_keeps_its_variants_read_only(admin_client):
    experiment = draft()
    page = admin_client.get(reverse("admin:insights_experiment_change", args=[experiment.pk])).content.decode()
    assert "Winner" not in page and 'name="variants-0-share"' in page

    experiments.start_experiment(experiment=experiment, now=timezone.now() - timedelta(days=2))
    page = admin_client.get(reverse("admin:insights_experiment_change", args=[experiment.pk])).content.decode()
    assert 'name="variants-0-share"' not in page and 'name="metrics"' not in page


# --- The page's buttons ----------------------------------------------------------------------------------------------

BUTTONS = ("start_one", "stop_one", "conclude_one")


def button_url(name: str, experiment: Experiment) -> str:
    return reverse(f"admin:insights_experiment_{name}", args=[experiment.pk])


def offered(client, experiment: Experiment) -> list[str]:
    html = client.get(reverse("admin:insights_experiment_change", args=[experiment.pk])).content.decode()
    return [name for name in (*BUTTONS, "run_shadow") if button_url(name, experiment) in html]


def test_the_page_offers_only_the_steps_its_status_allows(admin_client):
    experiment = draft(planned_end_at=timezone.now() + timedelta(days=30))
    assert offered(admin_client, experiment) == ["start_one"]
    experiments.start_experiment(experiment=experiment)
    assert offered(admin_client, experiment) == ["stop_one", "conclude_one"]
    experiments.stop_experiment(experiment=experiment)
    assert offered(admin_client, experiment) == ["conclude_one"]
    experiments.conclude_experiment(experiment=experiment)
    assert offered(admin_client, experiment) == []


def test_a_button_asks_first_and_its_post_goes_through_the_service(admin_client):
    experiment = draft(planned_end_at=timezone.now() + timedelta(days=30))

    asked = admin_client.get(button_url("start_one", experiment))
    experiment.refresh_from_db()
    assert asked.status_code == 200 and experiment.status == ExperimentStatus.DRAFT  # a link changes nothing
    assert "freezes the design" in asked.content.decode() and "csrfmiddlewaretoken" in asked.content.decode()

    started = admin_client.post(button_url("start_one", experiment), follow=True)
    experiment.refresh_from_db()
    assert experiment.status == ExperimentStatus.RUNNING and experiment.start_at is not None
    assert started.redirect_chain[-1][0] == reverse("admin:insights_experiment_change", args=[experiment.pk])
    assert f"Started: {experiment.key}." in notes(started)

    concluded = admin_client.post(button_url("conclude_one", experiment), follow=True)
    experiment.refresh_from_db()
    assert experiment.status == ExperimentStatus.CONCLUDED and "Concluded: report-wizard." in notes(concluded)


def test_a_refused_step_is_named_as_an_error_and_nothing_changes(admin_client):
    no_metrics = draft("no-metrics", metrics=[])
    refused = admin_client.post(button_url("start_one", no_metrics), follow=True)
    no_metrics.refresh_from_db()
    assert no_metrics.status == ExperimentStatus.DRAFT
    assert notes(refused) == ["no-metrics: not started. Name at least one success metric before starting."]

    stale = admin_client.post(button_url("stop_one", no_metrics), follow=True)  # e.g. a page open since it was running
    assert notes(stale) == ["no-metrics: not stopped. This experiment cannot become stopped: it is draft."]
    no_metrics.refresh_from_db()
    assert no_metrics.status == ExperimentStatus.DRAFT


def test_a_person_who_may_only_view_gets_no_button_and_cannot_post_one(client, django_user_model):
    from django.contrib.auth.models import Permission

    viewer = django_user_model.objects.create_user("viewer", password="x", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_experiment"))
    client.force_login(viewer)
    experiment = running()
    assert offered(client, experiment) == []
    assert client.post(button_url("stop_one", experiment)).status_code == 403
    experiment.refresh_from_db()
    assert experiment.status == ExperimentStatus.RUNNING


def test_a_shadow_experiments_page_shows_the_comparison_and_runs_its_triage_shadow(admin_client, monkeypatch):
    from insights import shadow, shadow_tasks

    experiment = experiments.start_experiment(
        experiment=experiments.create_experiment(
            key="triage-shadow",
            name="Mistral in the shadow",
            kind="shadow",
            analysis="sequential",
            variants=[
                {"key": "offline", "share": 99, "is_control": True},
                {"key": "mistral", "share": 1},
            ],
            metrics=METRICS[:1],
        )
    )
    shadow.record_shadow(experiment, "feedback:1", "mistral", live={"category": "bug"}, shadow={"category": "praise"})
    html = admin_client.get(reverse("admin:insights_experiment_change", args=[experiment.pk])).content.decode()
    assert "agreement with live" in html and "0.0% (0.0%–79.3%), n = 1" in html and "bug → praise ×1" in html
    assert "Sample ratio check" not in html  # not the A/B result
    assert offered(admin_client, experiment) == ["stop_one", "conclude_one", "run_shadow"]

    queued = []
    monkeypatch.setattr(shadow_tasks.shadow_triage, "delay", lambda pk: queued.append(pk))
    ran = admin_client.post(button_url("run_shadow", experiment), follow=True)
    assert queued == [experiment.pk] and notes(ran)[0].startswith("Queued")
