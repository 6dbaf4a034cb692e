"""Call transcripts and long threads are cut into pieces before triage; the pieces are triaged, the call is kept."""

from __future__ import annotations

import pytest

from ai.providers import get_provider
from feedback import triage
from feedback.choices import Source
from feedback.models import FeedbackItem, TriageRecord
from feedback.transcripts import child_source_id
from tests.factories import make_customer, make_feedback

pytestmark = pytest.mark.django_db
CALL = """[00:00:05] Sam (AE): Thanks for joining. How is the rollout going?
[00:00:12] Dana (Acme): Honestly the latency on Mistral Large has been great, we love the quality.
[00:00:30] Dana (Acme): But we really need SSO with Okta before we can roll it out to the whole company.
[00:00:48] Sam (AE): Understood. Anything else?
[00:00:55] Dana (Acme): Our security review is blocking the contract until you have SOC 2 Type II.
[00:01:10] Dana (Acme): Some of the team are also trying Claude for coding, it is cheaper for them.
"""


def run(*items, **options) -> triage.TriageRun:
    return triage.triage_items(item_ids=[item.pk for item in items], provider=get_provider("offline"), **options)


def test_given_a_call_when_triaged_then_each_piece_is_an_item_of_its_own_triaged_and_linked_to_the_call():
    customer = make_customer()
    call = make_feedback(source=Source.CALL, source_id="gong-77", verbatim=CALL, customer=customer)

    result = run(call)

    pieces = list(FeedbackItem.objects.filter(source_item=call).order_by("source_id"))
    call.refresh_from_db()
    assert result.split == 1 and result.triaged == len(pieces) == 4
    assert [piece.source_id for piece in pieces] == ["gong-77#1", "gong-77#2", "gong-77#3", "gong-77#4"]
    assert {(piece.source, piece.customer_id, piece.received_at) for piece in pieces} == {
        (Source.CALL, customer.pk, call.received_at)
    }
    assert (
        pieces[0].verbatim.startswith("Honestly the latency") and pieces[0].raw_payload["extract"]["kind"] == "praise"
    )
    assert pieces[3].competitors and all(piece.triaged_at for piece in pieces)
    assert call.triaged_at is not None and not TriageRecord.objects.filter(feedback=call).exists()
    assert call.verbatim == CALL  # the evidence is kept as it was


def test_given_a_split_call_then_its_admin_page_links_its_pieces(admin_client):
    call = make_feedback(source=Source.CALL, verbatim=CALL)
    run(call)

    page = admin_client.get(call.get_absolute_url()).content.decode()

    assert "Cut into 4 item(s), each triaged on its own" in page


def test_given_a_call_split_before_then_a_forced_run_reuses_its_pieces_and_a_plain_one_does_nothing():
    call = make_feedback(source=Source.CALL, verbatim=CALL)
    run(call)

    again, forced = run(call), run(call, force=True)

    assert (again.triaged, again.split, forced.split, forced.triaged) == (0, 0, 1, 4)
    assert FeedbackItem.objects.filter(source_item=call).count() == 4


def test_given_a_short_message_or_shadow_mode_then_nothing_is_split(settings):
    short = make_feedback(verbatim="We really need SSO with Okta before we can roll out.")
    run(short)
    settings.TRIAGE_SHADOW_MODE = True
    call = make_feedback(source=Source.CALL, verbatim=CALL)

    result = run(call)

    assert FeedbackItem.objects.filter(source_item__isnull=False).count() == 0
    assert result.shadow == 1 and TriageRecord.objects.get(feedback=call).outcome == "shadow"


def test_given_a_long_source_id_then_the_pieces_ids_still_fit():
    assert len(child_source_id("x" * 255, 12)) == 255 and child_source_id("x" * 255, 12).endswith("#12")
