"""``feedback.triage.compute_triage``: a provider's triage computed without writing anything, the same computation the
triage batch applies (offline provider, pgvector, PostgreSQL)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ai.providers import get_provider
from customers.choices import Tier
from feedback import triage
from feedback.choices import Severity
from feedback.models import FeedbackEmbedding, FeedbackItem, TriageRecord
from tests.factories import make_customer, make_feedback

pytestmark = pytest.mark.django_db
OUTAGE = "The API returns 500 errors in production since this morning, all our batch jobs are down"
COMPARED = ["category", "severity", "priority", "priority_reason", "sentiment_score", "tags", "language", "summary"]
ITEM_FIELDS = ["category", "severity", "priority", "sentiment_score", "tags", "summary", "triaged_at", "updated_at"]


def read(*items) -> list[FeedbackItem]:
    """The items as the triage batch reads them (with their customer)."""
    return list(FeedbackItem.objects.filter(pk__in=[i.pk for i in items]).select_related("customer").order_by("pk"))


def test_given_items_then_compute_triage_writes_nothing_and_the_batch_records_exactly_what_it_computed():
    provider = get_provider("offline")
    triage.use_active_classifier(provider)
    customer = make_customer(tier=Tier.ENTERPRISE, arr=Decimal("450000"))
    items = [make_feedback(verbatim=OUTAGE, customer=customer), make_feedback(verbatim="Love the new dashboard!")]
    before = list(FeedbackItem.objects.order_by("pk").values(*ITEM_FIELDS))

    computed = triage.compute_triage(read(*items), provider=provider)

    assert [one.item.pk for one in computed] == [item.pk for item in items]
    assert list(FeedbackItem.objects.order_by("pk").values(*ITEM_FIELDS)) == before
    assert not TriageRecord.objects.exists() and not FeedbackEmbedding.objects.exists()
    assert all(one.new_vector is not None and one.record.pk is None for one in computed)
    assert computed[0].record.priority_reason.startswith("tier enterprise 3×3")

    triage.triage_items(item_ids=[item.pk for item in items], provider=provider)

    stored = {r.feedback_id: r for r in TriageRecord.objects.all()}
    for one in computed:
        assert {f: getattr(stored[one.item.pk], f) for f in COMPARED} == {f: getattr(one.record, f) for f in COMPARED}
    assert all(one.new_vector is None for one in triage.compute_triage(read(*items), provider=provider))
    assert triage.compute_triage([], provider=provider) == []


class PersonMeanwhile:
    """The offline provider, during whose call a person sets the item's severity to low (saved in another request)."""

    name = "offline"

    def __init__(self, item_id: int):
        self.inner, self.item_id = get_provider("offline"), item_id
        self.model, self.dimensions, self.version = self.inner.model, self.inner.dimensions, self.inner.version

    def embed(self, texts):
        return self.inner.embed(texts)

    def triage(self, requests, *, vectors=None):
        FeedbackItem.objects.filter(pk=self.item_id).update(severity=Severity.LOW, human_fields=["severity"])
        return self.inner.triage(requests, vectors=vectors)


def test_given_a_person_sets_the_severity_while_the_provider_works_then_the_priority_follows_theirs():
    item = make_feedback(verbatim=OUTAGE, customer=make_customer(tier=Tier.ENTERPRISE, arr=Decimal("450000")))

    triage.triage_items(item_ids=[item.pk], provider=PersonMeanwhile(item.pk))

    item.refresh_from_db()
    record = TriageRecord.objects.get(feedback=item)
    assert record.severity != Severity.LOW  # what the AI thought, kept on the record
    assert " + severity low " in record.priority_reason and item.priority == record.priority
    assert (item.severity, item.human_fields) == (Severity.LOW, ["severity"])
