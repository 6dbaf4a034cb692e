"""A PM moves feedback through the status workflow in the browser: one item on its form, several with a bulk action."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from feedback.choices import Status
from feedback.models import FeedbackItem
from tests.browser.support import PASSWORD, console_errors, log_in, screenshot
from tests.factories import make_customer, make_feedback


def status_of(item: FeedbackItem) -> str:
    item.refresh_from_db()
    return item.status


def test_given_a_new_item_when_a_pm_jumps_it_to_shipped_then_the_form_names_the_allowed_moves(page, pm):
    item = make_feedback(
        verbatim="Batch jobs fail with HTTP 500 after 10k rows", customer=make_customer(name="Globex Corporation")
    )

    # Given: the PM logs in through the real login form and opens the item from the feedback list.
    log_in(page, pm.username, PASSWORD)
    page.get_by_role("link", name="Feedback items").first.click()
    expect(page).to_have_url(re.compile(r"/admin/feedback/feedbackitem/$"))
    page.get_by_role("link", name="Batch jobs fail with HTTP 500 after 10k rows").click()
    status = page.locator("select[name=status]")
    expect(status).to_have_value(Status.NEW)

    # When: they skip the workflow, straight from New to Shipped.
    status.select_option(label="Shipped")
    page.locator("button[name=_save]").click()

    # Then: the form comes back with the error naming the allowed moves, and nothing moved.
    error = page.get_by_text("Cannot move feedback from New to Shipped; allowed: Reviewing, Validated, Won't do.")
    expect(error).to_be_visible()
    screenshot(page, "feedback-status-refused")
    assert status_of(item) == Status.NEW

    # When: they pick an allowed move instead.
    page.locator("select[name=status]").select_option(label="Reviewing")
    page.locator("button[name=_save]").click()

    # Then: it is saved, and the list says so.
    expect(page.get_by_text(re.compile("was changed successfully"))).to_be_visible()
    expect(page).to_have_url(re.compile(r"/admin/feedback/feedbackitem/(\?.*)?$"))
    assert status_of(item) == Status.REVIEWING
    assert console_errors(page) == []


def test_given_items_in_several_statuses_when_a_pm_bulk_moves_them_then_moved_and_refused_are_both_reported(
    pm_page,
):
    page = pm_page
    new = [make_feedback(verbatim=f"SSO login loops on Safari ({n})") for n in (1, 2)]
    shipped = make_feedback(verbatim="Export to CSV drops accents", status=Status.SHIPPED)
    untouched = make_feedback(verbatim="Dark mode for the dashboard")

    # Given: the PM ticks three of the four rows.
    page.goto("/admin/feedback/feedbackitem/")
    for item in [*new, shipped]:
        page.get_by_role("row", name=re.compile(re.escape(item.verbatim))).get_by_role("checkbox").check()
    expect(page.get_by_text("3 of 4 selected")).to_be_visible()

    # When: they run "Move to Reviewing" on them.
    page.locator("select[name=action]").select_option(label="Move to Reviewing")
    page.get_by_role("button", name=re.compile("^Run", re.IGNORECASE)).click()

    # Then: the two New items moved, the Shipped one stayed with the reason, the unticked one was left alone.
    expect(page.get_by_text("Moved 2 item(s) to Reviewing.")).to_be_visible()
    expect(
        page.get_by_text("Left 1 item(s) in Shipped: they cannot move to Reviewing (allowed from Shipped: Building).")
    ).to_be_visible()
    screenshot(page, "feedback-bulk-move")
    assert [status_of(item) for item in [*new, shipped, untouched]] == [
        Status.REVIEWING,
        Status.REVIEWING,
        Status.SHIPPED,
        Status.NEW,
    ]
    assert console_errors(page) == []
