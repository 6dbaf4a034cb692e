"""Who changed what: triggers record every change (bulk updates included) and the change pages show it."""

import pytest
from django.urls import reverse

from feedback.choices import Status
from feedback.models import FeedbackItem
from feedbackhub.history import changes_of
from tests.factories import make_customer, make_feedback, make_theme
from tests.feedback.test_admin_workflow import form_data
from themes.services import refresh_rollups

pytestmark = pytest.mark.django_db


def test_given_a_pm_moves_an_item_in_the_change_form_then_its_page_shows_who_changed_the_status(admin_client):
    item = make_feedback()
    url = reverse("admin:feedback_feedbackitem_change", args=[item.pk])

    admin_client.post(url, form_data(item, status=Status.REVIEWING))
    page = admin_client.get(url).content.decode()

    [change] = changes_of(FeedbackItem.objects.get(pk=item.pk))
    assert change.who == "admin" and change.url == url
    assert ("status", "New", "Reviewing") in change.fields
    assert "<del>New</del> → Reviewing" in page


def test_given_a_bulk_move_then_each_item_records_the_change_and_who_made_it(admin_client):
    items = [make_feedback(), make_feedback()]

    admin_client.post(
        reverse("admin:feedback_feedbackitem_changelist"),
        {"action": "move_to_reviewing", "_selected_action": [item.pk for item in items]},
    )

    for item in items:
        [change] = changes_of(FeedbackItem.objects.get(pk=item.pk))
        assert (change.who, change.fields) == ("admin", [("status", "New", "Reviewing")])


def test_given_a_change_outside_any_request_then_it_is_recorded_as_a_job():
    item = make_feedback()

    FeedbackItem.objects.filter(pk=item.pk).update(summary="Batch jobs fail")

    [change] = changes_of(FeedbackItem.objects.get(pk=item.pk))
    assert change.who == "a job or script"
    assert change.fields == [("summary", "—", "Batch jobs fail")]


def test_given_a_theme_when_its_rollups_refresh_then_no_change_is_recorded_but_a_rename_is(admin_client):
    theme = make_theme(name="SSO")
    make_feedback(customer=make_customer()).themes.add(theme)

    refresh_rollups(theme_ids=[theme.pk])
    theme.refresh_from_db()
    assert changes_of(theme) == []

    theme.name = "SSO for every plan"
    theme.save()
    assert [change.fields for change in changes_of(theme)] == [[("name", "SSO", "SSO for every plan")]]


def test_given_a_renamed_launch_then_its_page_shows_the_change(admin_client):
    from tests.factories import make_launch

    launch = make_launch(name="Codestral 3")
    launch.name = "Codestral 3 GA"
    launch.save()

    page = admin_client.get(reverse("admin:launches_launch_change", args=[launch.pk])).content.decode()

    assert "<del>Codestral 3</del> → Codestral 3 GA" in page


def test_given_a_model_without_history_then_its_page_shows_no_history_section(admin_client):
    from launches.models import ChecklistTemplate

    template = ChecklistTemplate.objects.first()

    page = admin_client.get(reverse("admin:launches_checklisttemplate_change", args=[template.pk])).content.decode()

    assert 'aria-label="History"' not in page
