"""Saved views in the browser: a PM filters the feedback list, picks its columns and saves the view for their role;
another PM of that role opens it from the Views control and sees the same list."""

from __future__ import annotations

import re

from django.contrib.auth.models import Group
from playwright.sync_api import expect

from feedback.choices import Status
from feedbackhub.roles import PRODUCT_OPS
from tests.browser.support import console_errors, screenshot
from tests.factories import make_customer, make_feedback

KEEP = ["Feedback", "Customer", "Status"]  # the columns the PM picks, by their headers


def headers(page):
    """The list's column headers but the action checkbox's, for ``expect``."""
    return page.locator("#result_list thead th").filter(has_not=page.locator("input[type=checkbox]"))


def test_given_a_pm_saves_a_filtered_view_with_columns_for_their_role_then_another_pm_opens_it_from_the_views_control(
    open_page, pm, django_user_model
):
    omar = django_user_model.objects.create_user(username="omar", first_name="Omar", last_name="Haddad", is_staff=True)
    omar.groups.add(Group.objects.get(name=PRODUCT_OPS))
    make_feedback(verbatim="SSO login loops on Safari", customer=make_customer(name="Globex Corporation"))
    make_feedback(verbatim="Export to CSV drops accents", status=Status.SHIPPED)
    page = open_page(user=pm)

    # Given: Priya filters the feedback list to New items and keeps three columns.
    page.goto("/admin/feedback/feedbackitem/")
    page.locator("a", has_text="Filters").click()
    page.locator("#changelist-filter").get_by_role("link", name="New", exact=True).click()
    expect(page).to_have_url(re.compile(r"status__exact=new"))
    expect(page.get_by_text("Export to CSV drops accents")).to_have_count(0)
    page.locator("#column-picker summary").click()
    for box in page.locator("#column-picker input[type=checkbox]").all():
        label = box.locator("xpath=..").inner_text().strip()
        box.set_checked(label in KEEP)
    page.get_by_role("button", name="Show columns").click()
    expect(page).to_have_url(re.compile(r"cols="))
    expect(headers(page)).to_have_text(KEEP)
    screenshot(page, "saved-views-columns")

    # When: she saves the view, shared with her role.
    page.locator("#save-view summary").click()
    page.get_by_label("Name").fill("New from customers")
    page.get_by_label("Share with").select_option(label=PRODUCT_OPS)
    page.get_by_role("button", name="Save view").click()

    # Then: she is back on the same list, told it is saved, the view highlighted.
    expect(page.get_by_text(f"Saved the view “New from customers”, shared with {PRODUCT_OPS}.")).to_be_visible()
    expect(page.locator("#saved-views a[aria-current]")).to_have_text(re.compile("New from customers"))
    expect(headers(page)).to_have_text(KEEP)
    assert console_errors(page) == []

    # When: Omar, of the same role, opens the plain list and picks the view from the Views control.
    other = open_page(user=omar)
    other.goto("/admin/feedback/feedbackitem/")
    expect(other.get_by_text("Export to CSV drops accents")).to_be_visible()
    other.locator("#saved-views").get_by_role("link", name=re.compile("New from customers")).click()

    # Then: he sees the same filtered list with the same columns.
    expect(other).to_have_url(re.compile(r"status__exact=new"))
    expect(other.get_by_text("SSO login loops on Safari")).to_be_visible()
    expect(other.get_by_text("Export to CSV drops accents")).to_have_count(0)
    expect(headers(other)).to_have_text(KEEP)
    expect(other.locator("#saved-views a[aria-current]")).to_have_text(re.compile("New from customers"))
    screenshot(other, "saved-views-shared")
    assert console_errors(other) == []
