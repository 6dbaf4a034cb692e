"""Spreadsheet jobs through the real thing: the admin queues on commit, a Celery worker on Redis runs the job."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from django.urls import reverse
from django.utils import timezone

from customers.resources import CustomerResource
from feedbackhub import sheet_jobs
from feedbackhub.celery import app
from feedbackhub.choices import SheetJobKind, SheetJobStatus
from feedbackhub.models import SheetJob
from feedbackhub.tasks import requeue_sheet_jobs
from tests.factories import make_customer

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

EXPORT_URL = reverse("admin:customers_customer_export")


def export_form() -> dict:
    fields = CustomerResource().get_export_order()
    return {"format": "0", "resource": "0", **{f"customerresource_{name}": "on" for name in fields}}


def wait_until_over(job: SheetJob, seconds: float = 20) -> SheetJob:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.finished:
            break
        time.sleep(0.1)
    return job


def test_given_a_large_export_in_the_admin_when_a_worker_on_redis_runs_then_the_download_is_the_requests_file(
    admin_client, monkeypatch
):
    for n in range(6):
        make_customer(name=f"=Acme {n}")
    in_request = admin_client.post(EXPORT_URL, export_form())
    monkeypatch.setattr(sheet_jobs, "JOB_ROWS_FROM", 3)
    app.control.purge()

    response = admin_client.post(EXPORT_URL, export_form())  # committed at once: the job is sent to Redis
    job = SheetJob.objects.get()
    queued = job.status
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        job = wait_until_over(job)
    file = admin_client.get(reverse("admin:feedbackhub_sheetjob_download", args=[job.pk]))

    assert response.status_code == 302 and queued == SheetJobStatus.QUEUED
    assert (job.status, job.error, job.rows_done) == (SheetJobStatus.DONE, "", 6)
    assert file.content == in_request.content and b"'=Acme 0" in file.content


def test_given_a_job_the_broker_never_got_when_the_minute_sweep_runs_then_a_worker_runs_it(admin_client, admin_user):
    for _ in range(3):
        make_customer()
    app.control.purge()
    job = SheetJob.objects.create(  # what a broker outage leaves behind: the row, and no message
        kind=SheetJobKind.EXPORT,
        app_label="customers",
        model_name="customer",
        started_by=admin_user,
        form_data={key: [value] for key, value in export_form().items()},
    )
    SheetJob.objects.filter(pk=job.pk).update(queued_at=timezone.now() - timedelta(minutes=5))

    requeue_sheet_jobs.delay()  # as beat sends it every minute
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        job = wait_until_over(job)

    assert (job.status, job.rows_done) == (SheetJobStatus.DONE, 3)
