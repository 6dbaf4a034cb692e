"""Long spreadsheet exports and imports run as jobs: same output as the request, progress, all-or-nothing, owners only.

The threshold is lowered (``JOB_ROWS_FROM``) so a handful of rows makes a job; the job runs in-process here
(``run_sheet_job.apply``) and through a real Celery worker on Redis in test_sheet_jobs_worker.py.
"""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connections
from django.urls import reverse

from customers.choices import Tier
from customers.models import Customer
from customers.resources import CustomerResource
from feedback.choices import Status
from feedback.models import FeedbackItem
from feedbackhub import sheet_jobs
from feedbackhub.choices import SheetJobKind, SheetJobStatus
from feedbackhub.models import SheetJob
from feedbackhub.roles import SALES_CS
from feedbackhub.tasks import run_sheet_job
from tests.factories import make_customer, make_theme

pytestmark = pytest.mark.django_db

EXPORT_URL = reverse("admin:customers_customer_export")
FEEDBACK_IMPORT_URL = reverse("admin:feedback_feedbackitem_import")
FORMATS = {"csv": "0", "xlsx": "1"}
FEEDBACK_HEADER = "Source,Source id,Received at,Verbatim,Status,Sentiment score,Customer,Themes\n"


@pytest.fixture
def small_jobs(monkeypatch):
    """Three rows or more make a job; progress is reported every two rows."""
    monkeypatch.setattr(sheet_jobs, "JOB_ROWS_FROM", 3)
    monkeypatch.setattr(sheet_jobs, "PROGRESS_EVERY", 2)


@pytest.fixture
def sales_cs(django_user_model):
    user = django_user_model.objects.create_user(username="cs", password="x", is_staff=True)
    user.groups.add(Group.objects.get(name=SALES_CS))
    return user


def export_form(fmt: str) -> dict:
    fields = CustomerResource().get_export_order()
    return {"format": FORMATS[fmt], "resource": "0", **{f"customerresource_{name}": "on" for name in fields}}


def post_export(client, fmt: str, query: str = ""):
    return client.post(f"{EXPORT_URL}?{query}", export_form(fmt))


def rows_of(content: bytes, fmt: str) -> list[list]:
    """A sheet's rows as values (an XLSX file's bytes hold a timestamp, so sheets are compared cell by cell)."""
    if fmt == "csv":
        return list(csv.reader(io.StringIO(content.decode())))
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    return [[(cell.data_type, cell.value) for cell in row] for row in sheet.iter_rows()]


def text(cell) -> str:
    """A cell's text: a CSV cell is text, an XLSX cell is read as (type, value)."""
    return cell if isinstance(cell, str) else cell[1]


def only_job() -> SheetJob:
    (job,) = SheetJob.objects.all()
    return job


def run(job: SheetJob) -> SheetJob:
    """Run the job's task as a worker would (in this process), then read the job back."""
    run_sheet_job.apply(args=[job.pk])
    job.refresh_from_db()
    return job


def download(client, job: SheetJob):
    return client.get(reverse("admin:feedbackhub_sheetjob_download", args=[job.pk]))


def upload_feedback(client, content: str, name: str = "feedback.csv"):
    file = SimpleUploadedFile(name, content.encode())
    return client.post(FEEDBACK_IMPORT_URL, {"resource": "0", "format": "0", "import_file": file})


def confirm(client, job: SheetJob):
    return client.post(reverse("admin:feedbackhub_sheetjob_confirm", args=[job.pk]))


# --- Export -----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_given_a_large_filtered_export_when_its_job_has_run_then_the_file_equals_the_requests_export(
    fmt, admin_client, small_jobs, monkeypatch
):
    for n in range(4):
        make_customer(name=f"Acme {n}", tier=Tier.ENTERPRISE, crm_id=f'=HYPERLINK("http://evil","{n}")')
    make_customer(name="@SUM(1+1) Acme", tier=Tier.ENTERPRISE)
    make_customer(name="Acme Small", tier=Tier.STARTUP)  # filtered out by the tier
    make_customer(name="Globex", tier=Tier.ENTERPRISE)  # filtered out by the search
    query = "tier__exact=enterprise&q=acme"
    with monkeypatch.context() as patch:
        patch.setattr(sheet_jobs, "JOB_ROWS_FROM", 1_000)
        in_request = post_export(admin_client, fmt, query)

    response = post_export(admin_client, fmt, query)
    job = run(only_job())
    file = download(admin_client, job)

    assert in_request.status_code == 200 and in_request["Content-Disposition"].startswith("attachment")
    assert response.status_code == 302 and response["Location"] == job.get_absolute_url()
    assert (job.kind, job.status, job.error, job.rows_done, job.rows_total) == ("export", "done", "", 5, 5)
    assert file.status_code == 200
    assert file["Content-Type"] == in_request["Content-Type"]
    assert file["Content-Disposition"] == in_request["Content-Disposition"]
    assert rows_of(file.content, fmt) == rows_of(in_request.content, fmt)
    rows = [[text(cell) for cell in row] for row in rows_of(file.content, fmt)[1:]]
    assert sorted(row[0] for row in rows) == ["'@SUM(1+1) Acme", "Acme 0", "Acme 1", "Acme 2", "Acme 3"]
    assert sorted(row[2] for row in rows if row[2]) == [f'\'=HYPERLINK("http://evil","{n}")' for n in range(4)]


def test_given_a_sales_user_when_their_export_job_runs_then_it_holds_their_accounts_as_they_are_at_run_time(
    client, sales_cs, small_jobs, django_user_model
):
    colleague = django_user_model.objects.create_user(username="colleague")
    mine = [make_customer(name=f"Mine {n}", account_owner=sales_cs) for n in range(4)]
    make_customer(name="Not mine", account_owner=colleague)
    client.force_login(sales_cs)

    post_export(client, "csv")
    mine[0].account_owner = colleague  # handed over after the job was queued: the job must not export it
    mine[0].save()
    job = run(only_job())

    names = sorted(row[0] for row in rows_of(download(client, job).content, "csv")[1:])
    assert names == ["Mine 1", "Mine 2", "Mine 3"]
    assert job.started_by == sales_cs


def test_given_a_small_export_then_it_stays_a_download_in_the_request(admin_client, small_jobs):
    make_customer(name="One")

    response = post_export(admin_client, "csv")

    assert response.status_code == 200 and not SheetJob.objects.exists()


def test_given_an_export_job_when_it_runs_then_its_progress_moves_and_its_page_follows_it(admin_client, small_jobs):
    for n in range(5):
        make_customer(name=f"Row {n}")
    post_export(admin_client, "csv")
    job = only_job()
    url = reverse("admin:feedbackhub_sheetjob_progress", args=[job.pk])
    before = admin_client.get(url).json()
    seen = []

    def watch(sender, job_id, rows_done, **kwargs):
        seen.append(admin_client.get(url).json())  # the page's poll, while the worker is at it

    sheet_jobs.sheet_job_progress.connect(watch)
    try:
        run(job)
    finally:
        sheet_jobs.sheet_job_progress.disconnect(watch)
    after = admin_client.get(url).json()
    page = admin_client.get(job.get_absolute_url()).content.decode()

    assert (before["status"], before["rows_done"], before["finished"]) == ("queued", 0, False)
    assert [(p["status"], p["rows_done"], p["rows_total"]) for p in seen] == [
        ("running", 0, None),
        ("running", 2, 5),
        ("running", 4, 5),
    ]
    assert [p["percent"] for p in seen] == [0, 40, 80]
    assert (after["status"], after["rows_done"], after["percent"], after["finished"]) == ("done", 5, 100, True)
    assert reverse("admin:feedbackhub_sheetjob_download", args=[job.pk]) in page


# --- Import -----------------------------------------------------------------------------------------------------------


def test_given_a_large_feedback_import_when_checked_then_confirmed_then_rows_are_saved_through_the_services(
    admin_client, small_jobs
):
    customer = make_customer(domain="acme.example")
    theme = make_theme(name="Batch API")
    content = FEEDBACK_HEADER + "".join(
        f"zendesk,ZD-{n},2026-03-0{n} 10:00,Batch jobs fail {n},Validated,-0.8,acme.example,Batch API\n"
        for n in range(1, 5)
    )

    response = upload_feedback(admin_client, content)
    job = run(only_job())
    checked = (job.status, job.summary["new"], FeedbackItem.objects.count())
    page = admin_client.get(job.get_absolute_url()).content.decode()
    confirmed = confirm(admin_client, job)
    job = run(job)

    assert response.status_code == 302 and response["Location"] == job.get_absolute_url()
    assert checked == (SheetJobStatus.READY, 4, 0)  # the dry run writes nothing
    assert reverse("admin:feedbackhub_sheetjob_confirm", args=[job.pk]) in page
    assert confirmed.status_code == 302
    assert (job.status, job.error, job.summary["new"], job.rows_done) == (SheetJobStatus.DONE, "", 4, 4)
    items = FeedbackItem.objects.order_by("source_id")
    assert [item.source_id for item in items] == ["ZD-1", "ZD-2", "ZD-3", "ZD-4"]
    item = items[0]
    assert (item.status, item.customer, item.sentiment_label) == (Status.VALIDATED, customer, "negative")
    assert list(item.themes.all()) == [theme]
    theme.refresh_from_db()
    assert theme.rollups_dirty  # set_themes flagged the theme, as every door does
    assert LogEntry.objects.filter(object_id__in=[str(i.pk) for i in items]).count() == 4


def test_given_a_bad_row_when_an_import_job_checks_the_file_then_it_fails_naming_the_row_and_writes_nothing(
    admin_client, small_jobs
):
    make_customer(domain="acme.example")
    content = FEEDBACK_HEADER + (
        "zendesk,ZD-1,2026-03-01,fine,,,acme.example,\n"
        "zendesk,ZD-2,2026-03-02,fine,,,acme.example,\n"
        "zendesk,ZD-3,2026-03-03,bad,,,acme.example,No Such Theme\n"
        "zendesk,ZD-4,2026-03-04,bad,,7,,\n"
    )

    upload_feedback(admin_client, content)
    job = run(only_job())
    page = admin_client.get(job.get_absolute_url()).content.decode()

    assert job.status == SheetJobStatus.FAILED
    assert job.error == "2 of 4 rows have errors, so nothing was imported. Correct the file and upload it again."
    assert [entry["row"] for entry in job.row_errors] == [3, 4]
    assert "No theme is called “No Such Theme”" in " ".join(job.row_errors[0]["messages"])
    assert "Sentiment score: A sentiment score is between -1 and 1, not 7.0." in job.row_errors[1]["messages"]
    assert "No theme is called “No Such Theme”" in page and "Import these rows" not in page
    assert confirm(admin_client, job).status_code == 302 and run(job).status == SheetJobStatus.FAILED
    assert not FeedbackItem.objects.exists()


def test_given_a_checked_import_when_a_row_breaks_before_it_is_confirmed_then_the_job_fails_and_writes_nothing(
    admin_client, small_jobs
):
    theme = make_theme(name="Batch API")
    content = FEEDBACK_HEADER + "".join(
        f"zendesk,ZD-{n},2026-03-0{n},text,,,,{'Batch API' if n == 3 else ''}\n" for n in range(1, 5)
    )
    upload_feedback(admin_client, content)
    job = run(only_job())
    assert job.status == SheetJobStatus.READY

    theme.delete()  # row 3 now names a theme that is gone: rows 1 and 2 are written first, then rolled back
    confirm(admin_client, job)
    job = run(job)

    assert job.status == SheetJobStatus.FAILED
    assert "1 of 4 rows have errors, so nothing was written" in job.error
    assert [entry["row"] for entry in job.row_errors] == [3]
    assert not FeedbackItem.objects.exists()
    assert not LogEntry.objects.exists()


def test_given_a_file_without_its_key_column_when_its_job_runs_then_it_fails_saying_why(admin_client, small_jobs):
    file = SimpleUploadedFile("customers.csv", b"Company,Industry\nA,Retail\nB,Retail\nC,Retail\n")
    admin_client.post(reverse("admin:customers_customer_import"), {"resource": "0", "format": "0", "import_file": file})

    job = run(only_job())

    assert job.status == SheetJobStatus.FAILED
    assert job.error == "The file cannot be imported, so nothing was imported. Correct the file and upload it again."
    assert job.row_errors[0]["row"] is None
    assert "The file needs a “Domain” or a “CRM id” column" in job.row_errors[0]["messages"][0]
    assert not Customer.objects.exists()


# --- Who sees what ----------------------------------------------------------------------------------------------------


def test_given_someone_elses_job_then_only_a_superuser_may_open_follow_download_or_confirm_it(
    client, admin_client, sales_cs, django_user_model, small_jobs
):
    for n in range(3):
        make_customer(name=f"Mine {n}", account_owner=sales_cs)
    client.force_login(sales_cs)
    post_export(client, "csv")
    job = run(only_job())
    other = django_user_model.objects.create_user(username="other", password="x", is_staff=True)
    other.groups.add(Group.objects.get(name=SALES_CS))
    urls = [
        job.get_absolute_url(),
        reverse("admin:feedbackhub_sheetjob_progress", args=[job.pk]),
        reverse("admin:feedbackhub_sheetjob_download", args=[job.pk]),
    ]

    owner_sees = [client.get(url).status_code for url in urls]
    client.force_login(other)
    other_sees = [client.get(url).status_code for url in urls]
    other_list = client.get(reverse("admin:feedbackhub_sheetjob_changelist")).content.decode()
    superuser_file = download(admin_client, job)

    assert owner_sees == [200, 200, 200]
    assert other_sees == [404, 404, 404]
    assert client.post(reverse("admin:feedbackhub_sheetjob_confirm", args=[job.pk])).status_code == 404
    assert f"#{job.pk}" not in other_list
    assert superuser_file.status_code == 200 and b"Mine 0" in superuser_file.content


def test_given_an_import_checked_for_someone_else_then_a_superuser_cannot_confirm_it_for_them(
    client, admin_client, small_jobs, django_user_model
):
    ops = django_user_model.objects.create_superuser(username="ops", password="x")
    client.force_login(ops)
    upload_feedback(client, FEEDBACK_HEADER + "".join(f"zendesk,ZD-{n},2026-03-01,t,,,,\n" for n in range(3)))
    job = run(only_job())

    response = confirm(admin_client, job)
    job.refresh_from_db()

    assert response.status_code == 403 and (job.status, job.confirmed) == (SheetJobStatus.READY, False)


def test_given_a_user_who_lost_the_export_permission_when_the_job_runs_then_it_fails_saying_so(
    client, sales_cs, small_jobs
):
    for _ in range(3):
        make_customer(account_owner=sales_cs)
    client.force_login(sales_cs)
    post_export(client, "csv")
    sales_cs.groups.clear()

    job = run(only_job())

    assert job.status == SheetJobStatus.FAILED and "permissions changed" in job.error
    assert download(client, job).status_code == 404


# --- Once, and never lost -------------------------------------------------------------------------------------------


def test_given_a_job_that_is_over_when_its_task_arrives_again_then_nothing_runs_twice(admin_client, small_jobs):
    for _ in range(3):
        make_customer()
    post_export(admin_client, "csv")
    job = run(only_job())
    finished = job.finished_at

    assert run_sheet_job.apply(args=[job.pk]).get() == "nothing to do"
    job.refresh_from_db()
    assert (job.status, job.finished_at) == (SheetJobStatus.DONE, finished)


def test_given_a_job_another_worker_runs_then_this_one_leaves_it_and_the_sweep_does_not_send_it(
    admin_client, small_jobs
):
    for _ in range(3):
        make_customer()
    post_export(admin_client, "csv")
    job = only_job()
    SheetJob.objects.filter(pk=job.pk).update(status=SheetJobStatus.RUNNING, queued_at=job.queued_at.replace(year=2000))
    other = connections.create_connection("default")  # the other worker's session holds the job's lock
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", [sheet_jobs.LOCK_NAMESPACE, job.pk])
        outcome = run_sheet_job.apply(args=[job.pk]).get()
        sent_while_held = sheet_jobs.requeue_waiting_jobs()
    finally:
        other.close()  # the worker dies: its lock goes with its connection
    sent_after = sheet_jobs.requeue_waiting_jobs()

    assert outcome == "running elsewhere"
    assert (sent_while_held, sent_after) == (0, 1)
    assert run(job).status == SheetJobStatus.DONE


def test_given_jobs_the_broker_never_got_then_the_sweep_sends_the_old_queued_ones_only(
    admin_client, small_jobs, django_capture_on_commit_callbacks
):
    for _ in range(3):
        make_customer()
    post_export(admin_client, "csv")
    post_export(admin_client, "csv")
    old, new = SheetJob.objects.order_by("id")
    SheetJob.objects.filter(pk=old.pk).update(queued_at=old.queued_at.replace(year=2000))

    with django_capture_on_commit_callbacks() as sends:
        swept = sheet_jobs.requeue_waiting_jobs()

    assert swept == 1 and len(sends) == 1
    assert (old.kind, new.kind) == (SheetJobKind.EXPORT, SheetJobKind.EXPORT)


def test_given_the_sheet_jobs_list_then_a_user_sees_their_own_jobs_with_their_state(
    client, sales_cs, small_jobs, django_assert_max_num_queries
):
    for _ in range(3):
        make_customer(account_owner=sales_cs)
    client.force_login(sales_cs)
    for _ in range(3):
        post_export(client, "csv")
    run(SheetJob.objects.order_by("id").first())

    with django_assert_max_num_queries(12):
        response = client.get(reverse("admin:feedbackhub_sheetjob_changelist"))

    page = response.content.decode()
    assert response.status_code == 200
    assert page.count("Download") == 1 and page.count("Queued") >= 2
