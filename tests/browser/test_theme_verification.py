"""A PM ticks a step of a theme's verify-before-build checklist in the browser; who and when are recorded."""

from __future__ import annotations

import re

from django.utils import formats, timezone
from playwright.sync_api import expect

from tests.browser.support import console_errors, screenshot
from tests.factories import make_theme
from themes.choices import VerificationStep
from themes.models import ThemeVerification


def test_given_a_theme_when_a_pm_ticks_a_verification_step_then_who_and_when_show_after_saving(pm_page, pm):
    page = pm_page
    theme = make_theme(name="Bulk exports time out")
    step_label = VerificationStep.TRIPLE_SAMPLE.label
    started = timezone.now()

    # Given: the theme page, every step open.
    page.goto(theme.get_absolute_url())
    row = page.get_by_role("row").filter(has=page.get_by_text(step_label, exact=True))
    expect(row.get_by_role("checkbox")).not_to_be_checked()

    # When: the PM ticks "talked to 3x the original sample" and saves.
    row.get_by_role("checkbox").check()
    page.locator("button[name=_continue]").click()
    expect(page.get_by_text(re.compile("was changed successfully"))).to_be_visible()

    # Then: the step shows who ticked it and when, and the database agrees.
    step = ThemeVerification.objects.get(theme=theme, step=VerificationStep.TRIPLE_SAMPLE)
    assert step.done_by == pm
    assert started <= step.done_at <= timezone.now()
    when = formats.localize(timezone.template_localtime(step.done_at))
    row = page.get_by_role("row").filter(has=page.get_by_text(step_label, exact=True))
    expect(row.get_by_role("checkbox")).to_be_checked()
    expect(row.locator(".field-done_by")).to_contain_text(pm.username)
    expect(row.locator(".field-done_at")).to_contain_text(when)
    assert ThemeVerification.objects.filter(theme=theme, done_at__isnull=False).count() == 1  # only the ticked one
    screenshot(page, "theme-verification-ticked")
    assert console_errors(page) == []
