"""Demo experiments (issue 11, part 4), on top of ``load_demo``'s accounts and triaged feedback, through the services:

- an A/B experiment ready to conclude: "Report wizard" (fixed horizon, its planned end just passed), 400 subjects
  per variant exposed over two weeks and their reports sent, all as product events through the events intake
  (``insights.events.record_events``), so the result page shows a winner with its figures; its third metric,
  "opened the help" (``help_opened``), is one where lower is better (``"better": "lower"``);
- a triage shadow experiment: the live offline provider against the offline provider with another classifier (trained
  here on every other seed example and stored as an inactive ``ClassifierVersion``), run on the items the live one
  triaged (``insights.shadow.shadow_triage_batch``): the page compares them field by field.

``load_experiments`` is idempotent: an experiment already there is left as it is, and re-sent events are duplicates.
"""

from __future__ import annotations

import io
import random
from datetime import timedelta

from django.db.models import Min
from django.utils import timezone

from feedback.models import ClassifierVersion, TriageRecord
from insights import events, experiments, shadow
from insights.models import Experiment, Variant

AB_KEY = "report-wizard"
SHADOW_KEY = "triage-classifier-shadow"
SHADOW_PREFIX = "offline--"  # a variant "offline--<version>" runs that trained classifier (insights.shadow)
SUBJECTS_PER_VARIANT = 400
CONVERSION = {"control": 0.22, "wizard": 0.31}
HELP_OPENED = {"control": 0.18, "wizard": 0.09}  # lower is better: the wizard explains itself
SHADOW_BATCHES = 10  # at most 10 × shadow.BATCH_SIZE items in the demo (the task does the rest in the background)


def load_experiments(*, stdout=None) -> dict[str, int]:
    """Both demo experiments; what was made, by name."""
    stdout = stdout or io.StringIO()
    made = {"ab_events": _report_wizard(), "shadow_observations": _triage_shadow()}
    stdout.write(
        f"Experiments: {AB_KEY} with {made['ab_events']:,} product events sent; {SHADOW_KEY} with "
        f"{made['shadow_observations']:,} shadow observations.\n"
    )
    return made


def _report_wizard() -> int:
    from customers.models import Customer

    if Experiment.objects.filter(key=AB_KEY).exists():
        return 0
    now = timezone.now()
    experiment = experiments.create_experiment(
        key=AB_KEY,
        name="Report wizard instead of the report form",
        hypothesis="We believe a step-by-step wizard will get more new accounts to send their first report, because "
        "the form's 14 fields stop people at the first screen.",
        variants=[
            {"key": "control", "name": "Report form", "share": 50, "is_control": True},
            {"key": "wizard", "name": "Report wizard", "share": 50},
        ],
        metrics=[
            {"name": "sent a report", "kind": "proportion", "event": "report_sent"},
            {"name": "value delivered", "kind": "proportion", "event": "value_delivered"},
            {"name": "opened the help", "kind": "proportion", "event": "help_opened", "better": "lower"},
        ],
        planned_end_at=now - timedelta(hours=2),
        min_sample_per_variant=200,
    )
    start = now - timedelta(days=14)
    experiments.start_experiment(experiment=experiment, now=start)
    rng, help_rng = random.Random(11), random.Random(12)
    customers = list(Customer.objects.order_by("id").values_list("id", "domain")[:200])
    items = []
    for variant, rate in CONVERSION.items():
        for n in range(SUBJECTS_PER_VARIANT):
            customer, domain = customers[(n * 7 + len(variant)) % len(customers)]
            subject = f"user-{variant}-{n}@{domain or 'example.com'}"
            seen = start + timedelta(minutes=rng.randrange(13 * 24 * 60))
            base = {"customer": customer, "contact": subject, "persona": rng.choice(["analyst", "admin", "executive"])}
            items.append(
                {
                    **base,
                    "event_id": f"demo-{AB_KEY}-exposure-{variant}-{n}",
                    "name": "experiment_exposure",
                    "occurred_at": seen.isoformat(),
                    "properties": {"experiment": AB_KEY, "variant": variant, "subject": subject},
                }
            )
            draws = (  # the help's own generator: the other events stay as they were before it was added
                ("report_sent", rate, rng),
                ("value_delivered", rate * 0.6, rng),
                ("help_opened", HELP_OPENED[variant], help_rng),
            )
            for event, chance, source in draws:
                if source.random() < chance:
                    items.append(
                        {
                            **base,
                            "event_id": f"demo-{AB_KEY}-{event}-{variant}-{n}",
                            "name": event,
                            "occurred_at": min(seen + timedelta(hours=source.randrange(1, 30)), now).isoformat(),
                            "properties": {"subject": subject},
                        }
                    )
    created = 0
    for offset in range(0, len(items), events.MAX_BATCH):
        created += sum(
            r.status == "created" for r in events.record_events(items=items[offset : offset + events.MAX_BATCH])
        )
    return created


def shadow_classifier_versions() -> list[str]:
    """The classifier versions the demo's triage shadows run (``offline--<version>`` variants): removed on reset."""
    keys = Variant.objects.filter(key__startswith=SHADOW_PREFIX).values_list("key", flat=True)
    return [key.removeprefix(SHADOW_PREFIX) for key in keys]


def _shadow_classifier() -> str:
    """An inactive classifier trained on every other seed example: a second opinion that differs from the live one."""
    from ai import classifier

    texts, labels = classifier.seed_examples()
    vectors = dict(zip(classifier.all_seed_texts(), classifier.seed_vectors(), strict=True))
    model = classifier.train(
        texts[::2], labels[::2], [vectors[text] for text in texts[::2]], trained_on=classifier.SEED_RELEASE
    )
    ClassifierVersion.objects.get_or_create(
        version=model.version,
        defaults={
            "blob": model.to_bytes(),
            "n_examples": model.n_examples,
            "metrics": {"note": "demo: trained on every other seed example, for the shadow experiment"},
        },
    )
    return model.version


def _triage_shadow() -> int:
    if Experiment.objects.filter(key=SHADOW_KEY).exists():
        return 0
    live = TriageRecord.objects.filter(outcome=TriageRecord.Outcome.APPLIED, provider="offline")
    first = live.aggregate(first=Min("created_at"))["first"]
    if first is None:
        return 0  # nothing triaged by the offline provider: nothing to compare
    version = _shadow_classifier()
    experiment = experiments.create_experiment(
        key=SHADOW_KEY,
        name="Triage: a classifier on half the seed set, in the shadow",
        hypothesis="Before activating a retrained classifier, see how often it agrees with the live one and which of "
        "the two the PMs' corrections side with.",
        kind="shadow",
        analysis="sequential",
        variants=[
            {"key": "offline", "name": "Live offline triage", "share": 99, "is_control": True},
            {"key": f"{SHADOW_PREFIX}{version}", "name": "Half-seed classifier", "share": 1},
        ],
        metrics=[{"name": "category agreement", "kind": "proportion", "event": "shadow_agreed"}],
    )
    experiment = experiments.start_experiment(experiment=experiment, now=first - timedelta(seconds=1))
    recorded = 0
    for _ in range(SHADOW_BATCHES):
        run = shadow.shadow_triage_batch(experiment=experiment)
        recorded += sum(run.recorded.values())
        if not run.more:
            break
    return recorded
