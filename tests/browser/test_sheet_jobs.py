"""A spreadsheet job's page in the browser: the bar follows the worker, then the page offers the download."""

from __future__ import annotations

from playwright.sync_api import expect

from feedbackhub import sheet_jobs
from feedbackhub.choices import SheetJobKind, SheetJobStatus
from feedbackhub.models import SheetJob
from tests.browser.support import console_errors, screenshot


def test_given_a_running_export_when_its_page_is_open_then_the_bar_moves_and_the_download_appears_once_done(
    admin_page, admin_user
):
    job = SheetJob.objects.create(
        kind=SheetJobKind.EXPORT, app_label="customers", model_name="customer", started_by=admin_user
    )
    page = admin_page
    page.goto(job.get_absolute_url())
    expect(page.locator("#sheet-job-rows")).to_have_text("Waiting for a worker…")

    # When: a worker takes it and is 40 rows into 100.
    SheetJob.objects.filter(pk=job.pk).update(status=SheetJobStatus.RUNNING, rows_total=100)
    sheet_jobs.report_progress(job.pk, 40)
    expect(page.locator("#sheet-job-rows")).to_have_text("40 of 100 rows")
    expect(page.locator("#sheet-job-status")).to_have_text("Running")
    assert page.locator("#sheet-job-bar").get_attribute("style") == "width: 40%;"

    # Then: once it is done, the page shows the file to download.
    SheetJob.objects.filter(pk=job.pk).update(
        status=SheetJobStatus.DONE, rows_done=100, result=b"Company\n", file_name="Customer-2026-12-05.csv"
    )
    expect(page.locator("#sheet-job-download")).to_contain_text("Download Customer-2026-12-05.csv")
    screenshot(page, "sheet-job-done")
    assert console_errors(page) == []
