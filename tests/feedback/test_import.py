"""Feedback import (admin CSV/XLSX): every row goes through feedback.services."""

from __future__ import annotations

from pathlib import Path

import pytest
import tablib
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from feedback.choices import Source, Status
from feedback.models import FeedbackItem
from feedback.resources import FeedbackResource
from feedbackhub.roles import SALES_CS
from tests.factories import make_customer, make_feedback, make_theme
from themes.models import Theme

pytestmark = pytest.mark.django_db

AIRTABLE = Path(__file__).resolve().parent.parent / "fixtures" / "airtable"
COLUMNS = ["Source", "Source id", "Received at", "Verbatim", "Status", "Themes", "Duplicate of", "Customer"]


def sheet(*rows: dict) -> tablib.Dataset:
    """A feedback sheet with the columns rows use most; each row's missing cells are blank."""
    defaults = {"Source": "zendesk", "Received at": "2026-03-02 10:00", "Verbatim": "Batch jobs fail"}
    data = tablib.Dataset(headers=COLUMNS)
    for row in rows:
        data.append([{**defaults, **row}.get(column, "") for column in COLUMNS])
    return data


def errors_by_row(result) -> dict[int, str]:
    return {
        row.number: " ".join(" ".join(messages) for messages in row.error_dict.values()) for row in result.invalid_rows
    }


# Admin import of feedback


def test_given_new_rows_when_importing_then_items_are_created_in_the_files_status_and_blank_means_new():
    customer = make_customer(domain="acme.example")

    result = FeedbackResource().import_data(
        sheet(
            {"Source id": "ZD-1", "Status": "Validated", "Customer": "ACME.example"},
            {"Source id": "ZD-2", "Status": ""},
        ),
        dry_run=False,
    )

    assert not result.has_validation_errors() and not result.has_errors()
    items = {item.source_id: item for item in FeedbackItem.objects.all()}
    assert (items["ZD-1"].status, items["ZD-1"].customer) == (Status.VALIDATED, customer)
    assert items["ZD-2"].status == Status.NEW


def test_given_an_existing_item_when_its_source_and_id_are_imported_again_then_it_is_updated_not_duplicated():
    item = make_feedback(source=Source.ZENDESK, source_id="ZD-7", verbatim="old words", status=Status.REVIEWING)

    result = FeedbackResource().import_data(
        sheet({"Source": "Zendesk", "Source id": "ZD-7", "Verbatim": "new words", "Status": ""}), dry_run=False
    )

    assert result.totals["update"] == 1 and result.totals["new"] == 0
    item.refresh_from_db()
    assert (FeedbackItem.objects.count(), item.verbatim, item.status) == (1, "new words", Status.REVIEWING)


def test_given_a_move_the_workflow_forbids_when_importing_then_the_row_is_refused_and_nothing_is_written():
    item = make_feedback(source=Source.ZENDESK, source_id="ZD-1", verbatim="old words")

    result = FeedbackResource().import_data(
        sheet(
            {"Source id": "ZD-1", "Verbatim": "new words", "Status": "Shipped"},
            {"Source id": "ZD-2", "Status": "New"},
        ),
        dry_run=False,
    )

    assert errors_by_row(result) == {
        1: "Cannot move feedback from New to Shipped; allowed: Reviewing, Validated, Won't do."
    }
    item.refresh_from_db()
    assert (item.status, item.verbatim) == (Status.NEW, "old words")
    assert not FeedbackItem.objects.filter(source_id="ZD-2").exists()


def test_given_a_move_the_workflow_allows_when_importing_then_the_item_moves():
    item = make_feedback(source=Source.ZENDESK, source_id="ZD-1")

    FeedbackResource().import_data(sheet({"Source id": "ZD-1", "Status": "reviewing"}), dry_run=False)

    item.refresh_from_db()
    assert item.status == Status.REVIEWING


def test_given_themes_when_importing_then_they_are_linked_and_their_rollups_go_stale():
    batch, sso = make_theme(name="Batch API"), make_theme(name="SSO, SCIM")
    assert not Theme.objects.filter(rollups_dirty=True).exists()

    result = FeedbackResource().import_data(
        sheet({"Source id": "ZD-1", "Themes": 'batch api, "SSO, SCIM"'}), dry_run=False
    )

    assert not result.has_validation_errors()
    item = FeedbackItem.objects.get()
    assert set(item.themes.all()) == {batch, sso}
    assert set(Theme.objects.filter(rollups_dirty=True)) == {batch, sso}


def test_given_an_unknown_theme_or_choice_when_importing_then_the_error_names_it_and_the_allowed_values():
    result = FeedbackResource().import_data(sheet({"Source id": "ZD-1", "Themes": "Nope", "Status": "Done"}))

    error = errors_by_row(result)[1]
    assert "No theme is called “Nope”" in error
    assert (
        "“Done” is not an allowed value; use one of: New, Reviewing, Validated, Building, Shipped, Won't do." in error
    )


def test_given_an_original_that_is_itself_a_duplicate_when_importing_then_the_link_goes_to_its_root():
    root = make_feedback(source=Source.ZENDESK, source_id="ZD-1")
    middle = make_feedback(source=Source.ZENDESK, source_id="ZD-2", duplicate_of=root)

    FeedbackResource().import_data(sheet({"Source id": "ZD-3", "Duplicate of": "zendesk:ZD-2"}), dry_run=False)

    assert FeedbackItem.objects.get(source_id="ZD-3").duplicate_of == root
    assert middle.duplicates.count() == 0


def test_given_an_item_named_its_own_duplicate_when_importing_then_the_row_is_refused():
    make_feedback(source=Source.ZENDESK, source_id="ZD-1")

    result = FeedbackResource().import_data(sheet({"Source id": "ZD-1", "Duplicate of": "zendesk:ZD-1"}))

    assert "cannot be a duplicate of itself" in errors_by_row(result)[1]


def test_given_a_sales_cs_user_when_importing_then_new_items_start_new_and_existing_ones_stay_untouched(
    django_user_model,
):
    cs = django_user_model.objects.create_user(username="cs", is_staff=True)
    cs.groups.add(Group.objects.get(name=SALES_CS))  # may view and add feedback, not change it
    make_feedback(source=Source.ZENDESK, source_id="ZD-1")

    result = FeedbackResource().import_data(
        sheet({"Source id": "ZD-1"}, {"Source id": "ZD-2", "Status": "Shipped"}, {"Source id": "ZD-3"}), user=cs
    )

    errors = errors_by_row(result)
    assert sorted(errors) == [1, 2]
    assert "You may not change existing feedback items" in errors[1]
    assert "A new item starts as New" in errors[2]


def test_given_a_forbidden_move_in_the_admin_preview_then_the_page_shows_the_row_error_and_nothing_changes(
    admin_client,
):
    item = make_feedback(source=Source.ZENDESK, source_id="ZD-1", verbatim="as said")
    content = b"Source,Source id,Received at,Verbatim,Status\nzendesk,ZD-1,2026-03-02,edited,Shipped\n"

    response = admin_client.post(
        reverse("admin:feedback_feedbackitem_import"),
        {"resource": "0", "format": "0", "import_file": SimpleUploadedFile("feedback.csv", content)},
    )

    assert "Cannot move feedback from New to Shipped" in response.content.decode()
    assert "confirm_form" not in response.context
    item.refresh_from_db()
    assert (item.status, item.verbatim) == (Status.NEW, "as said")


def test_given_an_exported_sheet_when_imported_again_then_nothing_changes_and_numbers_and_escapes_round_trip():
    theme = make_theme(name="Batch API")
    item = make_feedback(
        source=Source.SLACK,
        source_id="C1-42",
        summary="-5 stars from the CFO",
        sentiment_score=-0.8,
        sentiment_label="negative",
        tags=["api"],
    )
    item.themes.set([theme])

    exported = FeedbackResource().export()
    again = FeedbackResource().import_data(tablib.Dataset().load(exported.csv, format="csv"), dry_run=False)

    row = exported.dict[0]
    assert (row["Sentiment score"], row["Summary"], row["Sentiment"]) == ("-0.8", "'-5 stars from the CFO", "Negative")
    assert not again.has_validation_errors() and not again.has_errors()
    item.refresh_from_db()
    assert (FeedbackItem.objects.count(), item.summary, item.sentiment_score, item.sentiment_label) == (
        1,
        "-5 stars from the CFO",
        -0.8,
        "negative",
    )
    assert list(item.themes.all()) == [theme]
