"""Shadow experiments (insights.shadow): observations stored once, the comparison against hand-counted data, and the
triage shadow that records what another provider would set without changing any item."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from ai import classifier
from ai.providers import get_provider
from feedback import triage
from feedback.choices import Status
from feedback.models import ClassifierVersion, FeedbackItem, FieldOverride, TriageRecord
from feedback.triage_quality import SHADOW_FIELDS
from insights import experiments, shadow
from insights.models import ShadowObservation
from insights.shadow_tasks import shadow_triage
from tests.factories import make_customer, make_feedback

pytestmark = pytest.mark.django_db

METRICS = [{"name": "agreement", "kind": "proportion", "event": "shadow_compared"}]


def shadow_experiment(key="new-triage", *, control="live", variants=("v2",), start=True):
    created = experiments.create_experiment(
        key=key,
        name=f"Shadow {key}",
        kind="shadow",
        analysis="sequential",
        variants=[
            {"key": control, "name": "Live", "share": 100 - len(variants), "is_control": True},
            *({"key": v, "name": f"Shadow {v}", "share": 1} for v in variants),
        ],
        metrics=METRICS,
    )
    if start:
        return experiments.start_experiment(experiment=created, now=timezone.now() - timedelta(hours=1))
    return created


# --- Recording -----------------------------------------------------------------------------------------------------


def test_given_the_same_observation_twice_then_it_is_stored_once_and_the_first_values_stay():
    experiment = shadow_experiment()
    first = shadow.record_shadow(experiment, "item-1", "v2", live={"category": "bug"}, shadow={"category": "bug"})
    again = shadow.record_shadow(experiment, "item-1", "v2", live={"category": "bug"}, shadow={"category": "praise"})
    assert (first, again) == (True, False)
    assert list(ShadowObservation.objects.values_list("subject", "shadow")) == [("item-1", {"category": "bug"})]


def test_given_a_batch_with_repeats_then_the_counts_say_what_was_new():
    experiment = shadow_experiment(variants=("v2", "v3"))
    shadow.record_shadow(experiment, "s1", "v2", live={"a": 1}, shadow={"a": 1})
    observations = [
        shadow.Observation(variant="v2", subject="s1", live={"a": 1}, shadow={"a": 2}),
        shadow.Observation(variant="v2", subject="s2", live={"a": 1}, shadow={"a": 2}),
        shadow.Observation(variant="v3", subject="s1", live={"a": 1}, shadow={"a": 3}),
        shadow.Observation(variant="v3", subject="s1", live={"a": 1}, shadow={"a": 4}),  # twice in the batch
    ]
    result = shadow.record_observations(experiment=experiment, observations=observations)
    assert (result.created, result.duplicate, sorted(result.subjects)) == (2, 1, ["s1", "s2"])
    assert ShadowObservation.objects.count() == 3


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"variant": "live"}, "not a shadow variant"),  # the control is what everyone saw
        ({"variant": "nope"}, "not a shadow variant"),
        ({"subject": " "}, "subject"),
        ({"live": {}}, "live: an object"),
        ({"shadow": ["bug"]}, "shadow: an object"),
        ({"shadow": {"text": "x" * 5000}}, "at most 4,000"),
    ],
)
def test_given_a_bad_observation_then_it_is_refused_naming_the_problem(change, message):
    experiment = shadow_experiment()
    observation = shadow.Observation(variant="v2", subject="s1", live={"a": 1}, shadow={"a": 1})
    with pytest.raises(ValidationError, match=message):
        shadow.record_observations(experiment=experiment, observations=[dataclasses.replace(observation, **change)])
    assert not ShadowObservation.objects.exists()


def test_given_an_ab_or_a_draft_or_a_stopped_experiment_then_nothing_is_recorded():
    ab = experiments.create_experiment(
        key="ab",
        name="AB",
        analysis="sequential",
        variants=[{"key": "live", "share": 50, "is_control": True}, {"key": "v2", "share": 50}],
        metrics=METRICS,
    )
    experiments.start_experiment(experiment=ab)
    with pytest.raises(ValidationError, match="only a shadow experiment"):
        shadow.record_shadow(ab, "s1", "v2", live={"a": 1}, shadow={"a": 1})
    draft = shadow_experiment("draft", start=False)
    with pytest.raises(ValidationError, match="only a running experiment"):
        shadow.record_shadow(draft, "s1", "v2", live={"a": 1}, shadow={"a": 1})
    stopped = experiments.stop_experiment(experiment=shadow_experiment("stopped"))
    with pytest.raises(ValidationError, match="only a running experiment"):
        shadow.record_shadow(stopped, "s1", "v2", live={"a": 1}, shadow={"a": 1})


# --- Comparing -----------------------------------------------------------------------------------------------------


def test_given_hand_counted_observations_then_agreement_interval_and_disagreements_match():
    experiment = shadow_experiment()
    rows = [  # (live category, live priority) → (shadow category, shadow priority)
        (("bug", "high"), ("bug", "high")),
        (("bug", "high"), ("feature_request", "high")),
        (("bug", "low"), ("feature_request", "low")),
        (("question", "low"), ("bug", "medium")),
        (("question", "low"), ("question", "low")),
    ]
    for n, (live, other) in enumerate(rows):
        shadow.record_shadow(
            experiment,
            f"s{n}",
            "v2",
            live={"category": live[0], "priority": live[1]},
            shadow={"category": other[0], "priority": other[1]},
        )
    [variant] = shadow.compare(experiment).variants
    by_field = {f.field: f for f in variant.fields}
    assert variant.observations == 5 and sorted(by_field) == ["category", "priority"]
    category = by_field["category"]
    assert (category.agreement.hits, category.agreement.n) == (2, 5)
    assert category.agreement.interval == pytest.approx((0.1176, 0.7693), abs=5e-4)  # Wilson 2/5, by hand
    assert category.disagreements == [("bug", "feature_request", 2), ("question", "bug", 1)]
    assert (by_field["priority"].agreement.hits, by_field["priority"].disagreements) == (4, [("low", "medium", 1)])
    assert category.live_vs_people is None  # not a triage experiment: no people to compare with


def test_given_more_than_five_kinds_of_disagreement_then_the_five_most_frequent_are_shown():
    experiment = shadow_experiment()
    n = 0
    for kind, count in enumerate([1, 4, 2, 6, 3, 5, 1]):
        for _ in range(count):
            shadow.record_shadow(experiment, f"s{n}", "v2", live={"f": "live"}, shadow={"f": f"k{kind}"})
            n += 1
    [figures] = shadow.compare(experiment).variants[0].fields
    assert [count for _, _, count in figures.disagreements] == [6, 5, 4, 3, 2]
    assert figures.agreement.hits == 0 and figures.agreement.n == 22


def _values(item: FeedbackItem, **changes) -> dict:
    return {**{name: getattr(item, name) or "" for name in SHADOW_FIELDS}, **changes}


def test_given_people_reviewed_items_then_live_and_shadow_accuracy_and_overrides_are_counted_by_hand():
    experiment = shadow_experiment("triage-people", control="offline", variants=("mistral",))
    customer = make_customer()
    reviewed_left = make_feedback(customer=customer, category="bug", status=Status.REVIEWING)
    overridden = make_feedback(customer=customer, category="feature_request", human_fields=["category"])
    untouched = make_feedback(customer=customer, category="bug")
    overridden_both_wrong = make_feedback(
        customer=customer, category="question", status=Status.VALIDATED, human_fields=["category"]
    )
    for item in (overridden, overridden_both_wrong):
        FieldOverride.objects.create(feedback=item, field="category", ai_value="bug", human_value=item.category)
    cases = [  # (item, shadow's category); the live category was "bug" every time
        (reviewed_left, "feature_request"),  # live right, shadow wrong
        (overridden, "feature_request"),  # live wrong, shadow right, and it had the correction
        (untouched, "bug"),  # nobody looked: not counted
        (overridden_both_wrong, "praise"),  # both wrong
    ]
    for item, other in cases:
        shadow.record_shadow(
            experiment,
            f"feedback:{item.pk}",
            "mistral",
            live=_values(item, category="bug"),
            shadow=_values(item, category=other),
        )
    comparison = shadow.compare(experiment)
    assert comparison.triage
    category = next(f for f in comparison.variants[0].fields if f.field == "category")
    assert (category.live_vs_people.hits, category.live_vs_people.n) == (1, 3)
    assert (category.shadow_vs_people.hits, category.shadow_vs_people.n) == (1, 3)
    assert (category.shadow_on_overrides.hits, category.shadow_on_overrides.n) == (1, 2)
    priority = next(f for f in comparison.variants[0].fields if f.field == "priority")
    assert priority.shadow_on_overrides.n == 0  # nobody overrode a priority
    assert comparison.as_json()["variants"][0]["fields"][0]["agreement"]["n"] == 4


# --- Triage in the shadow ------------------------------------------------------------------------------------------


class Contrarian:
    """The offline provider, except that it calls everything praise (a shadow that disagrees on purpose)."""

    name = "offline"

    def __init__(self):
        self.inner = get_provider("offline")
        self.model, self.dimensions, self.version = self.inner.model, self.inner.dimensions, self.inner.version
        self.calls = 0

    def embed(self, texts):
        return self.inner.embed(texts)

    def triage(self, requests, *, vectors=None):
        self.calls += 1
        return [dataclasses.replace(r, category="praise") for r in self.inner.triage(requests, vectors=vectors)]


FIELDS = [*SHADOW_FIELDS, "sentiment_score", "tags", "summary", "triaged_at", "updated_at", "human_fields"]


def _triaged_items(count: int) -> list[FeedbackItem]:
    customer = make_customer()
    items = [
        make_feedback(customer=customer, verbatim=f"Exports crash when the report has {n} pages: a blocker for us")
        for n in range(count)
    ]
    triage.triage_items(item_ids=[item.pk for item in items], provider=get_provider("offline"))
    return items


def test_given_a_triage_shadow_then_each_item_is_observed_once_in_bounded_batches_and_no_item_changes(monkeypatch):
    items = _triaged_items(5)
    experiment = shadow_experiment("triage", control="offline", variants=("mistral",))
    experiment.start_at = timezone.now() - timedelta(days=1)
    experiment.save(update_fields=["start_at"])
    contrarian = Contrarian()
    monkeypatch.setattr(shadow, "triage_provider_for", lambda key: contrarian)
    before = list(FeedbackItem.objects.order_by("pk").values(*FIELDS))
    records = TriageRecord.objects.count()

    first = shadow.shadow_triage_batch(experiment=experiment, batch_size=3)
    second = shadow.shadow_triage_batch(experiment=experiment, batch_size=3)
    third = shadow.shadow_triage_batch(experiment=experiment, batch_size=3)

    assert [first.recorded, first.more, second.recorded, second.more] == [{"mistral": 3}, True, {"mistral": 2}, False]
    assert third.recorded == {"mistral": 0} and contrarian.calls == 2  # nothing left: no provider call either
    assert list(FeedbackItem.objects.order_by("pk").values(*FIELDS)) == before
    assert TriageRecord.objects.count() == records
    observations = ShadowObservation.objects.filter(experiment=experiment)
    assert sorted(observations.values_list("subject", flat=True)) == sorted(f"feedback:{i.pk}" for i in items)
    live = TriageRecord.objects.get(feedback=items[0])
    one = observations.get(subject=f"feedback:{items[0].pk}")
    assert one.live == {name: getattr(live, name) for name in SHADOW_FIELDS}
    assert one.shadow == {**one.live, "category": "praise"}


def test_given_items_triaged_before_the_start_or_by_another_provider_then_the_shadow_leaves_them(monkeypatch):
    old = _triaged_items(2)
    experiment = shadow_experiment("triage-late", control="offline", variants=("mistral",))
    experiment.start_at = timezone.now() + timedelta(seconds=1)
    experiment.save(update_fields=["start_at"])
    TriageRecord.objects.filter(feedback=old[1]).update(created_at=timezone.now() + timedelta(minutes=1))
    TriageRecord.objects.filter(feedback=old[1]).update(provider="mistral")
    monkeypatch.setattr(shadow, "triage_provider_for", lambda key: Contrarian())
    assert shadow.shadow_triage_batch(experiment=experiment).recorded == {"mistral": 0}


def test_given_the_task_then_it_runs_every_running_triage_shadow_and_queues_itself_while_items_wait(monkeypatch):
    _triaged_items(3)
    experiment = shadow_experiment("triage-task", control="offline", variants=("mistral",))
    experiment.start_at = timezone.now() - timedelta(days=1)
    experiment.save(update_fields=["start_at"])
    shadow_experiment("not-triage")  # its control names no provider: left alone
    monkeypatch.setattr(shadow, "triage_provider_for", lambda key: Contrarian())
    monkeypatch.setattr(shadow, "BATCH_SIZE", 2)
    queued = []
    monkeypatch.setattr(shadow_triage, "delay", lambda pk: queued.append(pk))
    assert shadow_triage() == {"triage-task": {"mistral": 2}}
    assert queued == [experiment.pk]
    assert shadow_triage(experiment.pk) == {"triage-task": {"mistral": 1}}
    assert queued == [experiment.pk]  # nothing more waits: not queued again


def test_given_a_variant_naming_a_classifier_version_then_it_runs_that_version_and_unknown_names_are_refused():
    ClassifierVersion.objects.create(version="clf-shadow-test", blob=classifier.default().to_bytes())
    provider = shadow.triage_provider_for("offline--clf-shadow-test")
    assert provider is not get_provider("offline") and provider.name == "offline"
    for key, message in [("gpt", "names no triage provider"), ("offline--nope", "no trained classifier version")]:
        with pytest.raises(ValidationError, match=message):
            shadow.triage_provider_for(key)
    with pytest.raises(ValidationError, match="names no triage provider"):
        shadow.triage_provider_for("mistral--clf-shadow-test")
