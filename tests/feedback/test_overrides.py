"""Human overrides (seed 002): every door a person saves through logs a change to an AI-set value, and the field
becomes the person's, so triage never overwrites it again."""

from __future__ import annotations

import pytest
import tablib

from feedback.choices import Category, Priority, Severity
from feedback.models import FeedbackItem, FieldOverride, TriageRecord
from feedback.resources import FeedbackResource
from tests.api_support import token_client
from tests.factories import make_feedback
from tests.feedback.test_admin_workflow import change_url, form_data
from tests.feedback.test_grid_edit import URL as GRID_URL
from tests.feedback.test_grid_edit import grid_post

pytestmark = pytest.mark.django_db


def triaged_by_ai(*, source_id: str | None = None, **values) -> FeedbackItem:
    """An item as the triage pipeline leaves it: the values written on it and an applied record that says so."""
    values = {"category": Category.BUG, "priority": Priority.HIGH, "severity": Severity.HIGH, **values}
    item = make_feedback(**values, **({"source_id": source_id} if source_id else {}))
    TriageRecord.objects.create(
        feedback=item,
        provider="offline",
        model="all-MiniLM-L6-v2-int8",
        version="clf-test",
        outcome=TriageRecord.Outcome.APPLIED,
        applied_fields=list(values),
        **values,
    )
    return item


def admin_form(item: FeedbackItem, **changes) -> dict:
    """The change form's POST with the AI triage fields as the page shows them."""
    fields = {"language": item.language, "jtbd": item.jtbd, "competitors": ",".join(item.competitors)}
    if item.churn_signal:
        fields["churn_signal"] = "on"
    return form_data(item, **{**fields, **changes})


def test_given_an_ai_category_when_a_pm_changes_it_in_the_admin_form_then_the_override_is_logged(
    admin_client, admin_user
):
    item = triaged_by_ai()

    response = admin_client.post(change_url(item), admin_form(item, category=Category.FEATURE_REQUEST))

    assert response.status_code == 302
    override = FieldOverride.objects.get()
    assert (override.feedback, override.field, override.ai_value, override.human_value, override.user) == (
        item,
        "category",
        "bug",
        "feature_request",
        admin_user,
    )
    item.refresh_from_db()
    assert item.human_fields == ["category"] and item.category == Category.FEATURE_REQUEST


def test_given_an_unchanged_form_when_saved_then_nothing_is_logged_and_no_field_becomes_human(admin_client):
    item = triaged_by_ai()

    admin_client.post(change_url(item), admin_form(item, summary="A PM's summary"))

    item.refresh_from_db()
    assert FieldOverride.objects.count() == 0
    assert item.human_fields == ["summary"]  # the summary is the person's now; it was not the AI's, so no override


def test_given_a_multi_line_ai_jtbd_when_the_browser_sends_it_back_with_crlf_then_it_is_no_change(admin_client):
    jtbd = "When exporting, I want it to finish,\nso I can share the numbers."
    item = triaged_by_ai(jtbd=jtbd)

    response = admin_client.post(change_url(item), admin_form(item, jtbd=jtbd.replace("\n", "\r\n")))

    assert response.status_code == 302
    item.refresh_from_db()
    assert FieldOverride.objects.count() == 0 and item.human_fields == []


def test_given_a_field_changed_twice_then_only_the_first_change_overrides_the_ai(admin_client):
    item = triaged_by_ai()
    admin_client.post(change_url(item), admin_form(item, priority=Priority.LOW))
    item.refresh_from_db()

    admin_client.post(change_url(item), admin_form(item, priority=Priority.MEDIUM))

    assert list(FieldOverride.objects.values_list("field", "ai_value", "human_value")) == [("priority", "high", "low")]


def test_given_the_list_grid_when_a_pm_changes_the_ai_priority_then_the_override_is_logged(admin_client):
    item, other = triaged_by_ai(), triaged_by_ai()

    admin_client.post(f"{GRID_URL}?grid=edit", grid_post([item, other], **{f"i{item.pk}": {"priority": Priority.LOW}}))

    assert list(FieldOverride.objects.values_list("feedback_id", "field", "ai_value", "human_value")) == [
        (item.pk, "priority", "high", "low")
    ]
    assert FeedbackItem.objects.get(pk=other.pk).human_fields == []


def test_given_the_api_when_a_category_is_changed_then_the_override_is_logged_with_the_tokens_owner(admin_user):
    item = triaged_by_ai()

    response = token_client(admin_user).patch(
        f"/api/feedback/{item.pk}/", {"category": Category.QUESTION, "severity": Severity.LOW}, format="json"
    )

    assert response.status_code == 200, response.content
    assert response.json()["human_fields"] == ["category", "severity"]
    assert sorted(FieldOverride.objects.values_list("field", "ai_value", "human_value", "user")) == [
        ("category", "bug", "question", admin_user.pk),
        ("severity", "high", "low", admin_user.pk),
    ]


def test_given_the_api_when_reading_an_item_then_its_latest_triage_is_there(admin_user):
    item = triaged_by_ai()

    body = token_client(admin_user).get(f"/api/feedback/{item.pk}/").json()

    assert body["triage"]["outcome"] == "applied" and body["triage"]["category"] == "bug"
    assert body["triage"]["applied_fields"] == ["category", "priority", "severity"]


def test_given_an_import_when_it_changes_an_ai_category_then_the_override_is_logged(admin_user):
    item = triaged_by_ai(source_id="ZD-42")
    data = tablib.Dataset(headers=["Source", "Source id", "Received at", "Verbatim", "Category"])
    data.append(["zendesk", "ZD-42", item.received_at.strftime("%Y-%m-%d %H:%M"), item.verbatim, "Praise"])

    result = FeedbackResource().import_data(data, dry_run=False, user=admin_user)

    assert not result.has_errors() and not result.has_validation_errors()
    assert list(FieldOverride.objects.values_list("field", "ai_value", "human_value", "user")) == [
        ("category", "bug", "praise", admin_user.pk)
    ]


def test_given_a_shadow_record_when_a_person_sets_the_field_then_it_is_human_but_no_override(admin_client):
    item = make_feedback()
    TriageRecord.objects.create(
        feedback=item, provider="offline", model="m", outcome=TriageRecord.Outcome.SHADOW, category=Category.BUG
    )

    admin_client.post(change_url(item), admin_form(item, category=Category.BUG))

    item.refresh_from_db()
    assert item.human_fields == ["category"] and FieldOverride.objects.count() == 0


def test_given_a_new_item_with_a_category_from_the_api_then_the_category_is_the_callers(admin_user):
    body = {"source": "manual", "source_id": "M-1", "verbatim": "Exports fail", "received_at": "2026-11-02T10:00:00Z"}

    response = token_client(admin_user).post("/api/feedback/", {**body, "category": "bug"}, format="json")

    assert response.status_code == 201, response.content
    assert FeedbackItem.objects.get(source_id="M-1").human_fields == ["category"]
    assert FieldOverride.objects.count() == 0  # no AI value to override yet


def test_given_the_change_page_then_it_shows_the_latest_triage_and_the_override_history(admin_client):
    item = triaged_by_ai()
    TriageRecord.objects.filter(feedback=item).update(priority_reason="tier enterprise 3×3 + … = 17 → critical")
    admin_client.post(change_url(item), admin_form(item, category=Category.PRAISE))

    page = admin_client.get(change_url(item)).content.decode()

    assert "tier enterprise 3×3 + … = 17 → critical" in page and "offline/all-MiniLM-L6-v2-int8 clf-test" in page
    assert "<b>category</b>: bug → praise (admin)" in page
