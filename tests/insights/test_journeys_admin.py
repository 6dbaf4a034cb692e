"""Journey surveys in the admin: the list with its figures, the form validated by the services (each problem named),
the single settings row, and the read-only invitations list with its filters and search."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from insights import journeys
from insights.models import JourneySettings, JourneySurvey, SurveyInvitation
from tests.factories import make_customer
from tests.insights.journey_data import QUESTIONS, make_survey, sent_invitation

pytestmark = pytest.mark.django_db

LIST = reverse("admin:insights_journeysurvey_changelist")
ADD = reverse("admin:insights_journeysurvey_add")
INVITATIONS = reverse("admin:insights_surveyinvitation_changelist")


def form_data(**overrides) -> dict:
    data = {
        "key": "onboarding",
        "name": "Onboarding",
        "intro": "",
        "trigger_event": "feature_completed",
        "trigger_match": '{"feature": "import"}',
        "personas": "agency,solo",
        "channel": "email",
        "delay_minutes": "30",
        "active_from": "",
        "active_until": "",
        "enabled": "on",
        "questions": json.dumps(QUESTIONS),
    }
    return {**data, **overrides}


def test_given_the_default_surveys_then_the_list_shows_trigger_personas_and_figures(
    admin_client, django_assert_max_num_queries
):
    survey = make_survey(name="Aaa first", personas=["agency"])
    for n in range(3):
        sent_invitation(make_customer(), survey, contact=f"p{n}@x.example", persona="agency")

    with django_assert_max_num_queries(12):
        response = admin_client.get(LIST)

    assert response.status_code == 200
    html = response.content.decode()
    for name in ("Time to value", "Report accuracy", "Renewal success", "Support incident", "Aaa first"):
        assert name in html
    assert "value_delivered" in html and "support_contact_closed" in html and "agency" in html
    assert "too few answers" in html  # 3 sent: no response rate shown


def test_given_a_valid_form_then_the_survey_is_created_through_the_services(admin_client):
    response = admin_client.post(ADD, form_data())

    assert response.status_code == 302, response.context["adminform"].form.errors
    survey = JourneySurvey.objects.get(key="onboarding")
    assert survey.personas == ["agency", "solo"] and survey.trigger_match == {"feature": "import"}
    assert survey.questions == QUESTIONS


def test_given_bad_questions_and_trigger_then_the_form_names_each_problem(admin_client):
    questions = [QUESTIONS[0], {**QUESTIONS[2], "choices": ["Only one"]}]

    response = admin_client.post(
        ADD, form_data(questions=json.dumps(questions), trigger_event="Feature Completed", personas="Big Agency")
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert any("3–5 questions; this one has 2" in e for e in errors["questions"])
    assert any("needs 2–10 choices; it has 1" in e for e in errors["questions"])
    assert "trigger_event" in errors and "personas" in errors
    assert not JourneySurvey.objects.filter(key="onboarding").exists()


def test_given_a_survey_page_then_its_questions_read_as_indented_json_and_its_figures_per_persona(admin_client):
    survey = make_survey()
    invitation = sent_invitation(make_customer(), survey, persona="agency")
    answers, _ = journeys.validate_answers(survey.questions, {"recommend": 9, "ease": 4})
    journeys.submit(invitation=invitation, answers=answers)

    response = admin_client.get(reverse("admin:insights_journeysurvey_change", args=[survey.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "&quot;key&quot;: &quot;recommend&quot;" in html and "\n  {" in html
    assert 'class="journey-figures"' in html and "agency" in html and "every persona" in html


def test_given_the_settings_then_there_is_one_row_edited_never_added_or_deleted(admin_client):
    listing = admin_client.get(reverse("admin:insights_journeysettings_changelist"))
    change = reverse("admin:insights_journeysettings_change", args=[1])
    assert listing.status_code == 200 and change in listing.content.decode()
    assert admin_client.get(reverse("admin:insights_journeysettings_add")).status_code == 403
    assert admin_client.get(reverse("admin:insights_journeysettings_delete", args=[1])).status_code == 403

    saved = admin_client.post(change, {"cooldown_days": "10", "link_valid_days": "21"})

    assert saved.status_code == 302
    assert JourneySettings.objects.values_list("cooldown_days", "link_valid_days").get() == (10, 21)


def test_given_invitations_then_the_list_filters_by_status_and_reason_and_finds_a_contact(admin_client):
    JourneySurvey.objects.update(enabled=False)
    sent = sent_invitation(make_customer(), contact="found@acme.example")
    sent_invitation(make_customer(), contact="other@zebra.example")
    SurveyInvitation.objects.filter(contact="other@zebra.example").update(status="skipped", skip_reason="cooldown")

    found = admin_client.get(INVITATIONS, {"q": "found@acme"}).content.decode()
    skipped = admin_client.get(INVITATIONS, {"skip_reason__exact": "cooldown"}).content.decode()
    page = admin_client.get(reverse("admin:insights_surveyinvitation_change", args=[sent.pk]))

    assert "found@acme.example" in found and "other@zebra.example" not in found
    assert "other@zebra.example" in skipped and "found@acme.example" not in skipped
    assert page.status_code == 200 and "in the outbox" in page.content.decode()
    assert admin_client.get(reverse("admin:insights_surveyinvitation_add")).status_code == 403


def test_given_a_survey_that_has_sent_invitations_then_the_form_refuses_new_questions_and_says_to_copy(admin_client):
    survey = make_survey(key="sent-one", name="Sent one")
    sent_invitation(make_customer(), survey)
    change = reverse("admin:insights_journeysurvey_change", args=[survey.pk])
    fewer = json.dumps(QUESTIONS[:3])

    refused = admin_client.post(change, form_data(key="sent-one", name="Sent one", questions=fewer))
    reworded = [{**QUESTIONS[0], "text": "Would you recommend us?"}, *QUESTIONS[1:]]
    kept = admin_client.post(change, form_data(key="sent-one", name="Sent one", questions=json.dumps(reworded)))

    assert refused.status_code == 200
    assert any("make a new survey (copy)" in e for e in refused.context["adminform"].form.errors["questions"])
    assert kept.status_code == 302
    assert JourneySurvey.objects.get(pk=survey.pk).questions == reworded


def test_given_the_copy_action_then_each_selected_survey_gets_a_switched_off_copy(admin_client):
    survey = make_survey(key="ask", name="Ask")

    response = admin_client.post(
        LIST, {"action": "copy_surveys", "_selected_action": [survey.pk], "index": 0}, follow=True
    )

    copy = JourneySurvey.objects.get(key="ask-copy")
    assert copy.name == "Ask (copy)" and not copy.enabled and copy.questions == survey.questions
    assert "Copied, switched off until you enable them" in response.content.decode()
