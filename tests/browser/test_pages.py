"""Every admin list page renders on a desktop and on a phone, with no console errors; the hub's pages fit a phone.

Screenshots of the main pages (desktop and phone) land in ``.data/screenshots/`` for a person to look at.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib import admin
from django.urls import reverse
from playwright.sync_api import expect

from customers.models import UsageSnapshot
from feedback.choices import Category, Priority, Product, Status
from feedback.models import EmbeddingSpace
from tests.browser.support import (
    PASSWORD,
    PHONE,
    VIEWPORTS,
    console_errors,
    has_horizontal_overflow,
    log_in,
    screenshot,
)
from tests.factories import make_customer, make_feedback, make_launch, make_theme

HUB_APPS = {"customers", "feedback", "themes", "launches"}

# Hub list pages a phone user has to scroll sideways today: "app.model" → why. Their phone-fit check is a strict
# xfail, so it fails (XPASS) once the page fits: then remove the entry.
PHONE_OVERFLOW: dict[str, str] = {}


def label(model) -> str:
    return f"{model._meta.app_label}.{model._meta.model_name}"


def changelist_url(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


ALL_MODELS = sorted(admin.site._registry, key=label)  # whatever is registered when the tests are collected
HUB_MODELS = [model for model in ALL_MODELS if model._meta.app_label in HUB_APPS]


@pytest.fixture
def hub_rows(admin_user) -> None:
    """A row or more on every hub list page, with long real-world values (what makes a narrow page overflow)."""
    customer = make_customer(name="Vandelay Industries International Import/Export Holdings GmbH & Co. KG")
    UsageSnapshot.objects.create(customer=customer, taken_on=date.today(), active_users=1234, api_requests=9_876_543)
    theme = make_theme(
        name="Bulk exports time out for workspaces with more than a hundred thousand feedback items",
        owner=admin_user,
    )
    for n, status in enumerate([Status.NEW, Status.REVIEWING, Status.SHIPPED]):
        item = make_feedback(
            customer=customer,
            status=status,
            category=Category.FEATURE_REQUEST,
            product=Product.API,
            priority=Priority.HIGH,
            verbatim=f"Exporting our complete feedback history to CSV times out after sixty seconds, every time ({n})",
        )
        item.themes.add(theme)
    make_launch(name="Enterprise audit log export with SIEM streaming", themes=[theme])
    make_launch(name="Pixtral fine-tuning beta", target_date=date.today() + timedelta(days=3))
    EmbeddingSpace.objects.get_or_create(provider="offline", model="all-MiniLM-L6-v2-int8", dimensions=384)
    customer.arr = Decimal("1250000")
    customer.save(update_fields=["arr"])


@pytest.mark.parametrize("model", [pytest.param(model, id=label(model)) for model in ALL_MODELS])
def test_given_rows_when_an_admin_opens_a_list_page_on_desktop_and_phone_then_it_renders_without_console_errors(
    open_page, admin_user, hub_rows, model
):
    hub_page = model._meta.app_label in HUB_APPS
    page = open_page(user=admin_user)
    for name, viewport in VIEWPORTS.items():
        page.set_viewport_size(viewport)  # one page for both sizes: the second load comes from the browser's cache

        response = page.goto(changelist_url(model))

        assert response.status == 200, f"{label(model)} on {name}: HTTP {response.status}"
        expect(page).to_have_title(re.compile(re.escape(str(model._meta.verbose_name)), re.IGNORECASE))
        assert console_errors(page) == [], f"{label(model)} on {name}"
        if hub_page:
            screenshot(page, f"{label(model)}-{name}")


@pytest.mark.parametrize(
    "model",
    [
        pytest.param(
            model,
            id=label(model),
            marks=[pytest.mark.xfail(strict=True, raises=AssertionError, reason=PHONE_OVERFLOW[label(model)])]
            if label(model) in PHONE_OVERFLOW
            else [],
        )
        for model in HUB_MODELS
    ],
)
def test_given_rows_when_a_hub_list_page_opens_on_a_phone_then_it_needs_no_sideways_scrolling(
    open_page, admin_user, hub_rows, model
):
    page = open_page(user=admin_user, viewport=PHONE)

    page.goto(changelist_url(model))

    widths = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert not has_horizontal_overflow(page), f"{label(model)} is {widths[0]} px wide on a {widths[1]} px phone"


def test_given_a_pm_when_they_open_the_admin_home_on_desktop_and_phone_then_it_renders_without_console_errors(
    open_page, pm
):
    for name, viewport in VIEWPORTS.items():
        page = open_page(user=pm, viewport=viewport)

        response = page.goto(reverse("admin:index"))

        assert response.status == 200
        expect(page.get_by_role("link", name="Feedback items").first).to_be_attached()
        assert console_errors(page) == [], name
        assert not has_horizontal_overflow(page), name
        screenshot(page, f"admin-home-{name}")


def test_given_the_login_page_opened_directly_when_a_pm_logs_in_then_they_land_on_the_admin_home(page, pm):
    page.goto(reverse("admin:login"))
    page.get_by_label("Username").fill(pm.username)
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name=re.compile("log in", re.IGNORECASE)).click()

    assert re.search(r"/admin/$", page.url), page.url


def test_given_any_page_when_the_browser_asks_for_the_favicon_then_it_gets_one(pm_page):
    pm_page.goto(reverse("admin:index"))
    icon = pm_page.evaluate(
        "fetch(document.querySelector('link[rel~=icon]')?.href || '/favicon.ico').then(response => response.status)"
    )

    assert icon == 200
    assert console_errors(pm_page, include_known=True) == []


def test_given_a_pm_logged_in_through_the_form_then_the_helper_lands_on_the_admin_home(page, pm):
    log_in(page, pm.username, PASSWORD)

    expect(page.get_by_role("link", name="Feedback items").first).to_be_attached()
