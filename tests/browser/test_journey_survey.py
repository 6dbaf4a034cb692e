"""A customer answers a journey survey on a phone, with JavaScript switched off: the page from the e-mailed link, a
missed required score sent back with its message, then the answers stored and the link refused afterwards."""

from __future__ import annotations

from playwright.sync_api import expect

from feedback.models import FeedbackItem
from insights import journeys
from insights.models import JourneySurvey, SurveyInvitation, SurveyResponse, SurveySubmission
from tests.browser.support import PHONE, TIMEOUT_MS, has_horizontal_overflow, screenshot
from tests.factories import make_customer
from tests.insights.journey_data import sent_invitation


def test_given_a_survey_link_when_answered_on_a_phone_without_javascript_then_the_answers_are_stored_once(
    browser, live_server, settings
):
    settings.HUB_BASE_URL = live_server.url  # the link in the message: absolute, to this hub
    survey = JourneySurvey.objects.get(key="support-incident")  # one of seed 004's defaults (migration 0009)
    invitation = sent_invitation(make_customer(name="Acme Audio"), survey)
    link = journeys.answer_url(invitation)
    assert link.startswith(live_server.url) and link in invitation.notification.body
    context = browser.new_context(viewport=PHONE, base_url=live_server.url, java_script_enabled=False)
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page = context.new_page()
        page.goto(link)

        expect(page.get_by_role("heading", name="Support incident")).to_be_visible()
        page.wait_for_load_state("load")  # its 1×1 image loaded: the browser's opening is recorded
        assert SurveyInvitation.objects.get(pk=invitation.pk).opened_at is not None
        expect(page.get_by_text("Acme Audio")).to_be_visible()
        assert not has_horizontal_overflow(page)
        screenshot(page, "journey-survey-phone")

        page.get_by_text("Partly", exact=True).click()  # a choice, but not the required score
        page.get_by_role("button", name="Send my answers").click()
        expect(page.get_by_text("Please choose a score.")).to_be_visible()
        expect(page.locator('input[value="Partly"]')).to_be_checked()  # what was picked comes back

        page.locator("#q-support_csat").get_by_text("4", exact=True).click()
        page.get_by_role("textbox").fill("The fix worked, but it took three e-mails to get there.")
        page.get_by_role("button", name="Send my answers").click()
        expect(page.get_by_role("heading", name="Thank you!")).to_be_visible()

        page.goto(f"/s/{journeys.token_for(invitation)}/")
        expect(page.get_by_role("heading", name="Already answered")).to_be_visible()
    finally:
        context.close()

    submission = SurveySubmission.objects.get(invitation=invitation)
    assert submission.answers["support_csat"] == 4 and submission.answers["resolved"] == "Partly"
    assert SurveyResponse.objects.get(submission=submission).score == 4
    assert FeedbackItem.objects.get(pk=submission.feedback_id).verbatim.startswith("The fix worked")
