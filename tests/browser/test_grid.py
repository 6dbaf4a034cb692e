"""Product ops edits the feedback list as a grid: a status picked in a row, a theme added by typing its name, saved
together; a move the workflow forbids is refused in its row and nothing is saved. Screenshots: ``grid-*.png``."""

from __future__ import annotations

import re
from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from feedback.choices import Status
from feedback.models import FeedbackItem
from tests.browser.support import screenshot
from tests.factories import make_feedback, make_theme

FEEDBACK_LIST = "/admin/feedback/feedbackitem/"


def row_of(page, text: str):
    return page.locator("#result_list tbody").filter(has_text=text)


def test_given_the_grid_when_a_pm_changes_a_status_and_adds_a_theme_then_both_are_saved_through_the_rules(pm_page):
    page = pm_page
    now = timezone.now()
    sso = make_feedback(verbatim="SSO login loops on Safari", received_at=now - timedelta(days=1))
    export = make_feedback(verbatim="Export to CSV drops accents", received_at=now - timedelta(days=2))
    make_theme(name="Safari SSO redirects")

    page.goto(FEEDBACK_LIST)
    page.get_by_role("link", name=re.compile("Edit in grid")).click()
    expect(page).to_have_url(re.compile(r"grid=edit"))

    row = row_of(page, sso.verbatim)
    row.locator("select[name$='-status']").select_option(label="Reviewing")
    row.locator(".select2-search__field").fill("Safari")  # the themes autocomplete: type, then pick
    page.get_by_role("option", name="Safari SSO redirects").click()
    screenshot(page, "grid-1-edited")
    page.get_by_role("button", name=re.compile("^Save", re.IGNORECASE)).click()

    expect(page.get_by_text(re.compile(r"was changed successfully|were changed successfully"))).to_be_visible()
    sso.refresh_from_db()
    assert sso.status == Status.REVIEWING
    assert list(sso.themes.values_list("name", flat=True)) == ["Safari SSO redirects"]
    assert FeedbackItem.objects.get(pk=export.pk).status == Status.NEW  # the untouched row stays as it was


def test_given_the_grid_when_a_row_skips_the_workflow_then_that_row_says_why_and_nothing_is_saved(pm_page):
    page = pm_page
    now = timezone.now()
    item = make_feedback(verbatim="Batch jobs time out", received_at=now - timedelta(days=1))
    other = make_feedback(verbatim="Dark mode please", received_at=now - timedelta(days=2))

    page.goto(f"{FEEDBACK_LIST}?grid=edit")
    row_of(page, item.verbatim).locator("select[name$='-status']").select_option(label="Shipped")
    row_of(page, other.verbatim).locator("select[name$='-status']").select_option(label="Reviewing")
    page.get_by_role("button", name=re.compile("^Save", re.IGNORECASE)).click()

    expect(row_of(page, item.verbatim)).to_contain_text("Cannot move feedback from New to Shipped")
    screenshot(page, "grid-2-refused")
    assert set(FeedbackItem.objects.values_list("status", flat=True)) == {Status.NEW}
