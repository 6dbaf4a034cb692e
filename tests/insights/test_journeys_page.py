"""The public survey page /s/<token>/: who it opens for, what it shows, what it refuses and how it says so."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from insights import journey_views, journeys
from insights.choices import InvitationStatus
from insights.models import JourneySurvey, SurveyInvitation, SurveyResponse, SurveySubmission
from tests.factories import make_customer
from tests.insights.journey_data import make_survey, sent_invitation

pytestmark = pytest.mark.django_db

ANSWERS = {"recommend": "10", "ease": "5", "solved": "Yes", "why": "Quick and clear."}


@pytest.fixture(autouse=True)
def defaults_off():
    JourneySurvey.objects.update(enabled=False)


@pytest.fixture
def client():
    """An anonymous visitor whose CSRF token is checked, as a browser's is."""
    return Client(enforce_csrf_checks=True)


def url(token: str) -> str:
    return reverse("journeys:answer", args=[token])


def post(client, token: str, data: dict):
    """GET the page (the CSRF cookie), then POST the form with its token, as a browser without JavaScript does."""
    page = client.get(url(token))
    csrf = page.context["csrf_token"] if page.status_code == 200 else "x"
    return client.post(url(token), {**data, "csrfmiddlewaretoken": str(csrf)})


def test_given_a_sent_invitation_when_opened_then_the_survey_shows_its_company_only_and_the_opening_is_recorded(
    client,
):
    invitation = sent_invitation(make_customer(name="Acme Audio"))
    make_customer(name="Zebra Podcasts")  # another customer: nothing of theirs may show

    first = client.get(url(journeys.token_for(invitation)))
    image = client.get(reverse("journeys:seen", args=[journeys.token_for(invitation)]))  # the browser loads it
    opened = SurveyInvitation.objects.get(pk=invitation.pk).opened_at
    client.get(url(journeys.token_for(invitation)))
    client.get(reverse("journeys:seen", args=[journeys.token_for(invitation)]))

    assert first.status_code == 200
    html = first.content.decode()
    assert "Acme Audio" in html and "Zebra" not in html and "ana@acme.example" not in html
    assert "How likely are you to recommend us?" in html
    assert 'name="csrfmiddlewaretoken"' in html and "<script" not in html and "/admin/" not in html
    assert 'name="viewport"' in html
    assert first["Referrer-Policy"] == "same-origin" and "no-cache" in first["Cache-Control"]
    assert f'src="{reverse("journeys:seen", args=[journeys.token_for(invitation)])}"' in html
    assert image.status_code == 200 and image["Content-Type"] == "image/gif"
    assert opened is not None
    assert SurveyInvitation.objects.get(pk=invitation.pk).opened_at == opened  # once


def test_given_a_link_scanner_fetching_the_page_without_its_image_then_no_opening_is_counted(client):
    invitation = sent_invitation(make_customer())
    token = journeys.token_for(invitation)

    fetched = client.get(url(token), HTTP_USER_AGENT="Mozilla/5.0 (compatible; SafeLinks)")
    checked = client.head(url(token))

    assert fetched.status_code == 200 and checked.status_code == 405
    assert SurveyInvitation.objects.get(pk=invitation.pk).opened_at is None


def test_given_the_image_of_a_refused_link_then_it_answers_the_same_and_records_nothing(client):
    invitation = sent_invitation(make_customer())
    SurveyInvitation.objects.filter(pk=invitation.pk).update(status=InvitationStatus.SKIPPED)

    forged = client.get(reverse("journeys:seen", args=["not-a-token"]))
    never_sent = client.get(reverse("journeys:seen", args=[journeys.token_for(invitation)]))

    assert forged.status_code == never_sent.status_code == 200 and forged.content == never_sent.content
    assert SurveyInvitation.objects.get(pk=invitation.pk).opened_at is None


def test_given_valid_answers_when_posted_then_stored_and_thanked_and_the_link_is_then_refused_as_answered(client):
    invitation = sent_invitation(make_customer())
    token = journeys.token_for(invitation)

    response = post(client, token, ANSWERS)

    assert response.status_code == 200 and "Thank you" in response.content.decode()
    assert SurveySubmission.objects.filter(invitation=invitation).count() == 1
    assert SurveyResponse.objects.filter(submission__invitation=invitation).count() == 2
    again = client.get(url(token))
    assert again.status_code == 410 and "Already answered" in again.content.decode()
    replay = client.post(url(token), {**ANSWERS, "csrfmiddlewaretoken": "whatever"})
    assert replay.status_code in (403, 410)  # refused either way; nothing stored
    assert SurveySubmission.objects.count() == 1


def test_given_bad_answers_when_posted_then_the_form_comes_back_with_each_error_and_what_was_typed(client):
    invitation = sent_invitation(make_customer())

    response = post(client, journeys.token_for(invitation), {"recommend": "12", "why": "Keep this text"})

    assert response.status_code == 400
    html = response.content.decode()
    assert "Choose a score from 0 to 10." in html and "Please choose a score." in html
    assert "Keep this text" in html
    assert not SurveySubmission.objects.exists()
    assert SurveyInvitation.objects.get(pk=invitation.pk).status == InvitationStatus.SENT


def test_given_a_post_without_the_csrf_token_then_it_is_refused(client):
    invitation = sent_invitation(make_customer())

    response = client.post(url(journeys.token_for(invitation)), ANSWERS)

    assert response.status_code == 403
    assert not SurveySubmission.objects.exists()


def _refused(client, token: str, status: int, title: str):
    get = client.get(url(token))
    assert get.status_code == status, get.content
    assert title in get.content.decode()
    assert not SurveySubmission.objects.exists()
    return get


def test_given_a_forged_token_then_404(client):
    invitation = sent_invitation(make_customer())
    forged = signing.dumps([invitation.pk, invitation.nonce], salt="another-salt", compress=False)
    _refused(client, forged, 404, "This link does not work")
    _refused(client, "not-a-token", 404, "This link does not work")


def test_given_a_tampered_token_then_404(client):
    invitation = sent_invitation(make_customer())
    token = journeys.token_for(invitation)
    payload, signature = token.rsplit(":", 1)
    tampered_payload = signing.b64_encode(f'[{invitation.pk + 1},"{invitation.nonce}"]'.encode()).decode()
    _refused(client, f"{tampered_payload}:{signature}", 404, "This link does not work")
    _refused(client, f"{payload}:{signature[:-2]}xx", 404, "This link does not work")


def test_given_an_expired_link_then_410_and_nothing_stored(client):
    invitation = sent_invitation(make_customer())
    SurveyInvitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    _refused(client, journeys.token_for(invitation), 410, "This survey has closed")


def test_given_a_page_opened_before_expiry_and_posted_after_then_refused(client):
    invitation = sent_invitation(make_customer())
    token = journeys.token_for(invitation)
    page = client.get(url(token))
    SurveyInvitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    response = client.post(url(token), {**ANSWERS, "csrfmiddlewaretoken": str(page.context["csrf_token"])})

    assert response.status_code == 410
    assert not SurveySubmission.objects.exists()


def test_given_a_token_with_another_invitations_nonce_then_404_and_nothing_of_either_customer_shows(client):
    mine = sent_invitation(make_customer(name="Acme Audio"))
    theirs = sent_invitation(make_customer(name="Zebra Podcasts"), contact="zoe@zebra.example")
    crossed = signing.dumps([theirs.pk, mine.nonce], salt=journeys.SALT, compress=False)

    response = _refused(client, crossed, 404, "This link does not work")

    html = response.content.decode()
    assert "Zebra" not in html and "Acme" not in html
    assert client.get(url(journeys.token_for(theirs))).status_code == 200  # their own link still works


def test_given_an_invitation_never_sent_then_its_token_is_refused(client):
    invitation = sent_invitation(make_customer())
    SurveyInvitation.objects.filter(pk=invitation.pk).update(status=InvitationStatus.SKIPPED)
    _refused(client, journeys.token_for(invitation), 404, "This link does not work")


def test_given_too_many_posts_to_one_link_then_429_while_another_link_from_the_same_address_still_posts(
    client, monkeypatch
):
    monkeypatch.setattr(journey_views, "LINK_LIMIT", 2)
    customer = make_customer()
    token, other = (journeys.token_for(sent_invitation(customer)) for _ in range(2))
    csrf = str(client.get(url(token)).context["csrf_token"])

    codes = [client.post(url(token), {"csrfmiddlewaretoken": csrf}).status_code for _ in range(3)]
    elsewhere = client.post(url(other), {"csrfmiddlewaretoken": csrf}).status_code  # same address (a shared proxy)

    assert codes == [400, 400, 429]
    assert elsewhere == 400  # its own form back, with its errors: not throttled by the other link's posts


def test_given_a_flood_of_posts_from_one_address_over_many_links_then_429(client, monkeypatch):
    monkeypatch.setattr(journey_views, "ADDRESS_LIMIT", 3)
    customer = make_customer()
    tokens = [journeys.token_for(sent_invitation(customer)) for _ in range(4)]
    csrf = str(client.get(url(tokens[0])).context["csrf_token"])

    codes = [client.post(url(token), {"csrfmiddlewaretoken": csrf}).status_code for token in tokens]

    assert codes == [400, 400, 400, 429]


def test_given_a_stored_answer_with_the_journey_source_and_this_links_key_then_a_clear_refusal_and_nothing_stored(
    client,
):
    invitation = sent_invitation(make_customer())
    SurveyResponse.objects.create(  # written by another door before the source was reserved
        kind="nps",
        score=0,
        customer=make_customer(name="Other"),
        source="journey",
        external_id=f"{invitation.pk}:recommend",
        responded_at=timezone.now(),
    )

    response = post(client, journeys.token_for(invitation), ANSWERS)

    assert response.status_code == 409 and "could not be saved" in response.content.decode()
    assert not SurveySubmission.objects.exists()
    assert SurveyResponse.objects.get().score == 0  # the other row is left as it was, never overwritten
    assert SurveyInvitation.objects.get(pk=invitation.pk).status == InvitationStatus.SENT


def test_given_a_survey_on_slack_then_the_link_goes_to_the_channel_named_by_the_event(client):
    survey = make_survey(channel="slack")
    invitation = sent_invitation(make_customer(), survey, contact="#acme-shared")

    assert invitation.notification.channel == "slack"
    assert invitation.notification.recipient == "#acme-shared"
    assert client.get(url(journeys.token_for(invitation))).status_code == 200
