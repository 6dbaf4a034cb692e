"""Retraining the offline classifier from the PMs' corrections (seed 002: "every override gets logged for model
improvement"), for real: the seed set, the corrections, a new active version that triage loads."""

from __future__ import annotations

import pytest
from django_celery_beat.models import PeriodicTask

from ai.providers import get_provider
from feedback import tasks, training, triage
from feedback.choices import Category
from feedback.models import ClassifierVersion, FeedbackItem, TriageRecord
from tests.factories import make_feedback
from tests.feedback.test_overrides import admin_form, change_url

pytestmark = pytest.mark.django_db

# Double charges, which the shipped classifier (trained on app reviews) reads as bugs; this team calls them complaints.
CORRECTED = [
    "We were charged twice for the same seats on the March invoice",
    "Our invoice shows the same subscription billed two times this month",
    "You billed our card twice for one plan, please refund the duplicate charge",
    "The April invoice double-charged us for seats we only bought once",
    "Duplicate charge on our account again: same amount taken twice",
    "Billing took the annual fee twice from our company card",
    "Invoice INV-2211 charges us twice for the enterprise plan",
    "We have been invoiced two times for the same usage period",
    "Got billed double for our team seats, need the extra charge reversed",
    "Same invoice paid twice because your system charged the card two times",
    "The renewal was charged twice on our credit card",
    "Twice the seat price appeared on this month's bill",
]
UNSEEN = "The May invoice charged our card twice for the same seats"


@pytest.fixture(scope="module")
def provider():
    """The process's offline provider, back on the shipped default after these tests."""
    provider = get_provider("offline")
    yield provider
    from ai import classifier

    provider.load_classifier(classifier.default().to_bytes())
    triage._loaded.clear()


def corrected_by_pms(admin_client) -> None:
    """Items triage categorised, each corrected to "complaint" by a PM in the admin form."""
    items = [make_feedback(verbatim=text) for text in CORRECTED]
    triage.triage_items(item_ids=[item.pk for item in items], provider=get_provider("offline"))
    for item in FeedbackItem.objects.filter(pk__in=[item.pk for item in items]):
        admin_client.post(change_url(item), admin_form(item, category=Category.COMPLAINT))


def test_given_corrections_when_retrained_then_similar_text_is_categorised_as_corrected_by_a_new_version(
    provider, admin_client
):
    before = make_feedback(verbatim=UNSEEN)
    triage.triage_items(item_ids=[before.pk], provider=provider)
    corrected_by_pms(admin_client)

    result = training.retrain_classifier(provider=provider)
    after = make_feedback(verbatim=UNSEEN + ".")
    triage.triage_items(item_ids=[after.pk], provider=provider)

    old, new = (TriageRecord.objects.get(feedback=item) for item in (before, after))
    version = ClassifierVersion.objects.get()
    assert old.category != Category.COMPLAINT
    assert new.category == Category.COMPLAINT
    corrections = FeedbackItem.objects.filter(human_fields__contains=["category"]).count()
    assert result.trained and version.active and version.n_corrections == corrections >= len(CORRECTED) - 2
    assert new.version.startswith(version.version) and new.version != old.version
    assert version.metrics["held_out"] > 0 and 0.5 < version.metrics["held_out_accuracy"] <= 1
    again = training.retrain_classifier(provider=provider)
    assert not again.trained and again.message == f"Nothing changed since {version.version}: not retrained."


def test_given_an_active_version_when_triaging_with_mistral_then_its_offline_fallback_uses_it(provider, admin_client):
    from ai import classifier
    from ai.providers.mistral import MistralProvider

    corrected_by_pms(admin_client)
    training.retrain_classifier(provider=provider)
    version = ClassifierVersion.objects.get()
    provider.load_classifier(classifier.default().to_bytes())
    triage._loaded.clear()

    mistral = MistralProvider(api_key="k", server_url="http://127.0.0.1:9", fallback=provider)

    assert triage.use_active_classifier(mistral) == version.version
    assert provider.version.startswith(version.version)


def test_given_no_correction_and_no_version_then_the_shipped_default_stays():
    result = training.retrain_classifier()

    assert not result.trained and "the shipped default" in result.message


def test_given_the_admin_retrain_button_when_posted_then_a_worker_is_asked_to_retrain_not_the_request(
    admin_client, monkeypatch
):
    queued = []
    monkeypatch.setattr(tasks.retrain_classifier, "delay", lambda: queued.append("retrain"))

    response = admin_client.post("/admin/feedback/classifierversion/retrain/", follow=True)

    assert queued == ["retrain"]
    assert "Retraining queued" in response.content.decode()
    assert not ClassifierVersion.objects.exists()  # nothing trained in the request


def test_given_the_broker_down_when_retrain_is_posted_then_the_page_says_so_plainly(admin_client, monkeypatch):
    def unreachable():
        raise ConnectionError("Error 111 connecting to redis")

    monkeypatch.setattr(tasks.retrain_classifier, "delay", unreachable)

    response = admin_client.post("/admin/feedback/classifierversion/retrain/", follow=True)

    assert "Could not queue the retraining: the task queue (Redis) is unreachable" in response.content.decode()


def test_given_the_migrations_then_retraining_runs_daily_with_an_expiry():
    task = PeriodicTask.objects.get(task="feedback.tasks.retrain_classifier")

    assert (task.crontab.hour, task.crontab.minute, task.expire_seconds, task.enabled) == ("3", "0", 6 * 3600, True)
