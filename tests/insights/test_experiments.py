"""Experiments: validated writes, deterministic assignment, and GET /api/experiments/{key}/assignment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError

from insights import experiments
from insights.choices import ExperimentAnalysis, ExperimentKind, ExperimentStatus
from insights.models import Experiment
from tests.api_support import token_client

ROOT = Path(__file__).resolve().parents[2]
START = datetime(2026, 11, 1, tzinfo=UTC)
END = datetime(2026, 12, 1, tzinfo=UTC)
METRICS = [{"name": "sent a report", "kind": "proportion", "event": "report_sent"}]


def variants(*shares: int) -> list[dict]:
    return [
        {"key": f"v{index}", "name": f"Variant {index}", "share": share, "is_control": index == 0}
        for index, share in enumerate(shares)
    ]


def make(key="onboarding-checklist", shares=(50, 50), **fields) -> Experiment:
    fields = {"planned_end_at": END, **fields}
    return experiments.create_experiment(
        key=key, name="Onboarding checklist", variants=variants(*shares), metrics=METRICS, **fields
    )


def test_100000_subjects_split_within_one_percent_of_the_shares():
    arms = [SimpleNamespace(key=k, share=s) for k, s in (("control", 20), ("b", 30), ("c", 50))]

    counts = Counter(experiments.choose(arms, "pricing-page", f"user-{i}").key for i in range(100_000))

    for arm in arms:
        assert abs(counts[arm.key] / 100_000 - arm.share / 100) < 0.01, counts


def test_the_same_subject_gets_the_same_variant_in_another_process():
    subjects = [f"user-{i}" for i in range(500)]
    arms = [SimpleNamespace(key=k, share=s) for k, s in (("control", 50), ("treatment", 50))]
    here = [experiments.choose(arms, "pricing-page", s).key for s in subjects]
    code = (
        "import json, sys, django; django.setup()\n"
        "from types import SimpleNamespace as N\n"
        "from insights.experiments import choose\n"
        "arms = [N(key='control', share=50), N(key='treatment', share=50)]\n"
        "print(json.dumps([choose(arms, 'pricing-page', s).key for s in json.loads(sys.argv[1])]))\n"
    )

    # a fresh interpreter with another hash seed: nothing may depend on Python's randomised hash() or on state
    other = subprocess.run(
        [sys.executable, "-c", code, json.dumps(subjects)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONHASHSEED": "12345", "DJANGO_SETTINGS_MODULE": "feedbackhub.settings"},
    )

    assert other.returncode == 0, other.stderr
    assert json.loads(other.stdout.splitlines()[-1]) == here
    assert 200 < here.count("control") < 300


def test_bucket_is_the_documented_sha256_prefix():
    import hashlib

    digest = hashlib.sha256(b"exp:alice").digest()
    assert experiments.bucket("exp", "alice") == int.from_bytes(digest[:8], "big") / 2**64
    assert 0 <= experiments.bucket("exp", "alice") < 1
    assert experiments.bucket("exp", "alice") != experiments.bucket("other", "alice")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("shares", "controls", "message"),
    [
        ((50, 40), None, "sum to 100 %; they sum to 90 %"),
        ((100,), None, "at least two variants"),
        ((50, 50), 2, "Exactly one variant must be the control; 2 are"),
        ((100, 0), None, "above 0 %"),
    ],
)
def test_variants_must_hold_together(shares, controls, message):
    given = variants(*shares)
    if controls == 2:
        given[1]["is_control"] = True
    with pytest.raises(ValidationError, match=message):
        experiments.create_experiment(key="x", name="X", variants=given, metrics=METRICS)
    assert not Experiment.objects.exists()


@pytest.mark.parametrize(
    ("metrics", "message"),
    [
        ({"name": "x"}, "A list of metrics"),
        ([{"name": "", "kind": "proportion", "event": "a"}], "Metric #1: a name is needed"),
        ([{"name": "m", "kind": "median", "event": "a"}], r"Metric #1 \(m\): kind must be one of proportion, mean"),
        ([{"name": "m", "kind": "mean", "event": "a"}], "a mean needs the numeric property"),
        ([{"name": "m", "kind": "proportion", "event": ""}], "the event that counts"),
        ([{"name": "m", "kind": "proportion", "event": "a", "colour": 1}], "unknown field"),
        ([{"name": "m", "kind": "proportion", "event": "a"}] * 2, "Metric #2: the name 'm' is used twice"),
    ],
)
def test_metrics_are_validated_with_the_entry_named(metrics, message):
    with pytest.raises(ValidationError, match=message):
        experiments.validate_metrics(metrics)


@pytest.mark.django_db
def test_start_needs_a_planned_end_for_a_fixed_horizon_and_only_from_draft():
    experiment = make(planned_end_at=None)

    with pytest.raises(ValidationError, match="needs its planned end"):
        experiments.start_experiment(experiment=experiment, now=START)
    Experiment.objects.filter(pk=experiment.pk).update(planned_end_at=END)
    started = experiments.start_experiment(experiment=experiment, now=START)

    assert (started.status, started.start_at) == (ExperimentStatus.RUNNING, START)
    with pytest.raises(ValidationError, match="Only a draft starts"):
        experiments.start_experiment(experiment=experiment, now=START)
    experiments.stop_experiment(experiment=experiment)
    assert experiments.conclude_experiment(experiment=experiment).status == ExperimentStatus.CONCLUDED


@pytest.mark.django_db
def test_given_a_stop_then_a_conclusion_then_ended_at_is_the_stop_time_and_a_second_stop_is_refused():
    experiment = experiments.start_experiment(experiment=make(), now=START)
    stopped_at, concluded_at = datetime(2026, 11, 20, tzinfo=UTC), datetime(2026, 11, 25, tzinfo=UTC)

    stopped = experiments.stop_experiment(experiment=experiment, now=stopped_at)
    after_stop = (stopped.status, stopped.ended_at)
    with pytest.raises(ValidationError, match="cannot become stopped"):
        experiments.stop_experiment(experiment=experiment, now=concluded_at)
    concluded = experiments.conclude_experiment(experiment=experiment, now=concluded_at)

    assert after_stop == (ExperimentStatus.STOPPED, stopped_at)
    assert (concluded.status, concluded.ended_at) == (ExperimentStatus.CONCLUDED, stopped_at)
    assert Experiment.objects.get(pk=experiment.pk).ended_at == stopped_at


@pytest.mark.django_db
def test_given_a_running_experiment_concluded_then_ended_at_is_the_conclusion_and_a_draft_has_none():
    draft = make(key="draft-one")
    running = experiments.start_experiment(experiment=make(), now=START)
    concluded_at = datetime(2026, 11, 25, tzinfo=UTC)

    with pytest.raises(ValidationError, match="cannot become concluded"):
        experiments.conclude_experiment(experiment=draft, now=concluded_at)
    concluded = experiments.conclude_experiment(experiment=running, now=concluded_at)

    assert concluded.ended_at == concluded_at
    assert Experiment.objects.get(pk=draft.pk).ended_at is None


@pytest.mark.django_db
def test_a_sequential_experiment_starts_without_a_planned_end():
    experiment = make(key="seq", planned_end_at=None, analysis=ExperimentAnalysis.SEQUENTIAL)

    assert experiments.start_experiment(experiment=experiment, now=START).status == ExperimentStatus.RUNNING


# --- the API --------------------------------------------------------------------------------------------------------


@pytest.fixture
def product(django_user_model):
    """The product's client: a read token of a user who may view experiments."""
    user = django_user_model.objects.create_user(username="webapp", password="pw", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_experiment"))
    return token_client(user, scopes=("read",))


def url(key: str, subject: str | None = "alice") -> str:
    return f"/api/experiments/{key}/assignment" + (f"?subject={subject}" if subject is not None else "")


@pytest.mark.django_db
def test_api_assigns_as_the_formula_does(product, django_assert_max_num_queries):
    experiment = experiments.start_experiment(experiment=make(shares=(30, 70)), now=START)
    expected = experiments.choose(list(experiment.variants.all()), experiment.key, "alice")

    with django_assert_max_num_queries(6):  # token, its last use, the throttle is Redis; experiment, variants
        response = product.get(url(experiment.key))

    assert response.status_code == 200, response.content
    assert response.json() == {
        "experiment": "onboarding-checklist",
        "subject": "alice",
        "variant": expected.key,
        "variant_name": expected.name,
        "kind": "ab",
        "status": "running",
        "shadow_variants": [],
    }
    assert product.get(url(experiment.key)).json()["variant"] == expected.key


@pytest.mark.django_db
def test_api_shadow_shows_the_control_and_names_the_shadow(product):
    experiment = experiments.start_experiment(
        experiment=make(key="triage-provider", kind=ExperimentKind.SHADOW, shares=(50, 50)), now=START
    )

    body = product.get(url(experiment.key, "item-42")).json()

    assert (body["variant"], body["shadow_variants"], body["kind"]) == ("v0", ["v1"], "shadow")


@pytest.mark.django_db
def test_api_stopped_experiment_gives_everyone_the_control(product):
    experiment = experiments.start_experiment(experiment=make(shares=(1, 99)), now=START)
    experiments.stop_experiment(experiment=experiment)

    assert {product.get(url(experiment.key, f"u{i}")).json()["variant"] for i in range(20)} == {"v0"}


@pytest.mark.django_db
def test_api_refuses_unknown_draft_and_missing_subject(product):
    draft = make(key="draft-one")

    assert product.get(url("no-such-experiment")).status_code == 404
    assert product.get(url(draft.key)).status_code == 404
    experiments.start_experiment(experiment=draft, now=START)
    missing = product.get(url(draft.key, subject=None))
    assert missing.status_code == 400 and "subject" in missing.json()
    assert product.get(url(draft.key, subject="")).status_code == 400


@pytest.mark.django_db
def test_api_needs_the_view_permission_and_a_read_scope(django_user_model):
    experiments.start_experiment(experiment=make(), now=START)
    nobody = django_user_model.objects.create_user(username="nobody", password="pw", is_staff=True)
    allowed = django_user_model.objects.create_user(username="ingest-only", password="pw", is_staff=True)
    allowed.user_permissions.add(Permission.objects.get(codename="view_experiment"))

    assert token_client(nobody, scopes=("read",)).get(url("onboarding-checklist")).status_code == 403
    assert token_client(allowed, scopes=("ingest",)).get(url("onboarding-checklist")).status_code == 403
    assert token_client(allowed, scopes=("read",)).get(url("onboarding-checklist")).status_code == 200


@pytest.mark.django_db
def test_the_schema_documents_the_assignment(product, admin_user):
    from tests.api_support import session_client

    schema = session_client(admin_user).get("/api/schema/", {"format": "json"}).json()

    operation = schema["paths"]["/api/experiments/{key}/assignment"]["get"]
    assert [p["name"] for p in operation["parameters"] if p["in"] == "query"] == ["subject"]
    assert set(operation["responses"]) == {"200", "400", "404"}
