"""Spreadsheet jobs: exports and imports too long for one request, run by a Celery worker with progress.

A request that would export, or import, ``JOB_ROWS_FROM`` rows or more records a ``SheetJob`` instead (what was asked,
never which rows) and queues ``feedbackhub.tasks.run_sheet_job`` once its transaction commits; the person is sent to
the job's page, which polls ``progress`` until the job is over. Smaller ones stay in the request as before.

The worker replays the request for the person who started it: the changelist's query string and the form as posted,
through the model admin's own code (``get_export_queryset``, ``get_export_data``, its resources), so a job exports
exactly what the admin would, filters and row scoping (a sales user's own accounts) included, and an import goes
through the same resources and services. An import is a dry run first (the job stops at READY, or FAILED with an
error per row); its owner confirms it, and the import then runs in one transaction with the job's final status:
a bad row, or a crash, leaves nothing written.

Nothing is lost when Redis is down: the job row is written first, the send only happens after commit and may fail,
and ``requeue_waiting_jobs`` (Celery beat, every minute) sends again every job left queued for a minute, or left
running by a worker that died. A job runs under a PostgreSQL advisory lock on its id, so a job sent twice runs once.

This module imports nothing of the apps: the model admin is found through the admin site.
"""

from __future__ import annotations

import contextlib
import io
import logging
from collections.abc import Callable
from datetime import timedelta

import django.dispatch
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.exceptions import NotRegistered
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, QueryDict
from django.urls import reverse
from django.utils import timezone
from import_export.signals import post_import

from feedbackhub.advisory_lock import advisory_lock
from feedbackhub.choices import SheetJobKind, SheetJobStatus
from feedbackhub.models import SheetJob

log = logging.getLogger(__name__)

JOB_ROWS_FROM = 5_000  # an export or import of this many rows or more runs as a job; smaller ones in the request
PROGRESS_EVERY = 200  # rows between two progress reports
WAITING_FOR = timedelta(minutes=1)  # a job still queued after this is sent again (the broker was down, say)
MAX_ROW_ERRORS = 1_000  # row errors kept on an import job; the summary counts them all
LOCK_NAMESPACE = 0x5348  # "SH": the first key of the advisory lock a running job holds (the second is its id)
NOT_FORM_FIELDS = {"csrfmiddlewaretoken", "import_file"}
ACTIVE = (SheetJobStatus.QUEUED, SheetJobStatus.RUNNING)

# Sent on every progress report (rows_done so far), for whoever follows a job live (tests, a future push channel).
sheet_job_progress = django.dispatch.Signal()


class JobError(Exception):
    """A job cannot go on; the message says why, for the person who started it."""


# --- Deciding, and starting ---------------------------------------------------------------------------------------


def is_large(queryset: QuerySet) -> bool:
    """Whether exporting ``queryset`` takes a job: it has ``JOB_ROWS_FROM`` rows or more (counted up to that)."""
    return queryset.order_by()[:JOB_ROWS_FROM].count() >= JOB_ROWS_FROM


def rows_in_file(data: bytes, *, extension: str) -> int | None:
    """About how many rows an uploaded sheet has, without reading it as a dataset (None: cannot tell cheaply).

    A CSV counts its line breaks (a break inside a quoted cell counts too: that only errs toward a job); an XLSX
    reads the size its sheet declares.
    """
    if extension == "xlsx":
        import openpyxl

        try:
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
            try:
                rows = book.active.max_row
            finally:
                book.close()
        except Exception:  # noqa: BLE001 - an unreadable file is the dry run's to explain, row by row
            return None
        return None if rows is None else max(rows - 1, 0)
    lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    return max(lines - 1, 0)  # less the header


def start_export(*, model_admin, request: HttpRequest) -> SheetJob:
    """Record the export ``request`` asks for (its changelist query and export form) and queue it."""
    opts = model_admin.model._meta
    job = SheetJob.objects.create(
        kind=SheetJobKind.EXPORT,
        app_label=opts.app_label,
        model_name=opts.model_name,
        started_by=request.user,
        query=request.GET.urlencode(),
        form_data=_form_data(request.POST),
    )
    enqueue(job)
    return job


def start_import(*, model_admin, request: HttpRequest, data: bytes, file_name: str, rows: int | None) -> SheetJob:
    """Record the import ``request`` uploads (the file and the import form) and queue its dry run."""
    opts = model_admin.model._meta
    job = SheetJob.objects.create(
        kind=SheetJobKind.IMPORT,
        app_label=opts.app_label,
        model_name=opts.model_name,
        started_by=request.user,
        form_data=_form_data(request.POST),
        file_name=file_name[:255],
        upload=data,
        rows_total=rows,
    )
    enqueue(job)
    return job


def confirm_import(*, job: SheetJob, user) -> None:
    """The owner confirms an import whose dry run passed: it is queued again, to be written this time."""
    if job.kind != SheetJobKind.IMPORT or job.started_by_id != user.pk:
        raise PermissionDenied("Only the person who uploaded the file can confirm its import.")
    updated = SheetJob.objects.filter(pk=job.pk, status=SheetJobStatus.READY, confirmed=False).update(
        confirmed=True, status=SheetJobStatus.QUEUED, queued_at=timezone.now(), rows_done=0, finished_at=None
    )
    if not updated:
        raise JobError("This import is not waiting for a confirmation any more.")
    enqueue(job)


def enqueue(job: SheetJob) -> None:
    """Send the job to the workers once the current transaction commits; if the broker is down it stays queued."""
    from feedbackhub.tasks import run_sheet_job

    def send() -> None:
        try:
            run_sheet_job.apply_async((job.pk,), retry=False)
        except Exception:  # noqa: BLE001 - the row is saved; requeue_waiting_jobs sends it when the broker is back
            log.warning("Could not queue sheet job %s; the minute sweep will send it again.", job.pk, exc_info=True)

    transaction.on_commit(send)


def requeue_waiting_jobs() -> int:
    """Send again the jobs queued for over ``WAITING_FOR`` and the running ones whose worker died; how many."""
    sent = 0
    waiting = SheetJob.objects.filter(status__in=ACTIVE, queued_at__lt=timezone.now() - WAITING_FOR)
    for job in waiting.only("pk", "status").order_by("queued_at")[:500]:
        if job.status == SheetJobStatus.RUNNING and _lock_held(job.pk):
            continue  # a worker is on it
        enqueue(job)
        sent += 1
    return sent


# --- Progress -----------------------------------------------------------------------------------------------------


def progress_key(job_id: int) -> str:
    return f"sheet-job:{job_id}:rows-done"


def report_progress(job_id: int, rows_done: int) -> None:
    """Where a running job is. In the cache, not the database: an import's transaction would hide it until the end."""
    try:
        cache.set(progress_key(job_id), rows_done, timeout=24 * 3600)
    except Exception:  # noqa: BLE001 - progress is a nicety; the job goes on while Redis is down
        log.warning("Could not record the progress of sheet job %s.", job_id, exc_info=True)
    sheet_job_progress.send(sender=SheetJob, job_id=job_id, rows_done=rows_done)


def progress(job: SheetJob) -> dict:
    """What the job page shows and polls: status, rows done of total, percent, and whether it is over."""
    rows_done = job.rows_done
    if job.status == SheetJobStatus.RUNNING:
        with contextlib.suppress(Exception):  # without Redis, the page shows the last figure saved
            rows_done = max(rows_done, cache.get(progress_key(job.pk)) or 0)
    total = job.rows_total
    percent = 100 if job.status == SheetJobStatus.DONE else (min(99, rows_done * 100 // total) if total else 0)
    return {
        "id": job.pk,
        "status": job.status,
        "status_label": job.get_status_display(),
        "rows_done": rows_done,
        "rows_total": total,
        "percent": percent,
        "finished": job.finished,
        "error": job.error,
    }


def _reporter(job_id: int, every: int) -> Callable[[int], None]:
    def report(rows_done: int) -> None:
        if rows_done % every == 0:
            report_progress(job_id, rows_done)

    return report


# --- Running (the worker) -----------------------------------------------------------------------------------------


def run_job(*, job_id: int) -> str:
    """Run a queued job (or one whose worker died); a job that is over, or running elsewhere, is left alone."""
    with _job_lock(job_id) as held:
        if not held:
            return "running elsewhere"
        job = SheetJob.objects.select_related("started_by").defer("result").filter(pk=job_id).first()
        if job is None or job.status not in ACTIVE:
            return "nothing to do"
        started = timezone.now()
        SheetJob.objects.filter(pk=job.pk).update(status=SheetJobStatus.RUNNING, started_at=started, error="")
        report_progress(job.pk, 0)
        try:
            model_admin = list_admin(job)
            if job.kind == SheetJobKind.EXPORT:
                _run_export(job, model_admin)
            else:
                _run_import(job, model_admin)
        except (JobError, PermissionDenied) as error:
            _fail(job, str(error) or "You may no longer do this: your permissions changed since you started it.")
        except Exception as error:  # noqa: BLE001 - a failed job must say why, whatever went wrong
            log.exception("Sheet job %s failed", job.pk)
            _fail(job, f"The job stopped on an unexpected error: {type(error).__name__}: {error}")
        return SheetJob.objects.values_list("status", flat=True).get(pk=job.pk)


def _run_export(job: SheetJob, model_admin) -> None:
    request = _replayed_request(job, model_admin, "export")
    formats = model_admin.get_export_formats()
    form = model_admin.get_export_form_class()(
        formats, model_admin.get_export_resource_classes(request), data=request.POST
    )
    if not form.is_valid():
        raise JobError(f"The export form is no longer valid: {form.errors.as_text()}")
    file_format = formats[int(form.cleaned_data["format"])]()
    queryset = model_admin.get_export_queryset(request)  # the admin's filters and search, for this user
    total = queryset.count()
    SheetJob.objects.filter(pk=job.pk).update(rows_total=total)
    request.sheet_job_progress = _reporter(job.pk, PROGRESS_EVERY)
    data = model_admin.get_export_data(
        file_format, request, queryset, encoding=model_admin.to_encoding, export_form=form
    )
    SheetJob.objects.filter(pk=job.pk).update(
        status=SheetJobStatus.DONE,
        result=data.encode() if isinstance(data, str) else data,
        content_type=file_format.get_content_type(),
        file_name=model_admin.get_export_filename(request, queryset, file_format),
        rows_done=total,
        finished_at=timezone.now(),
    )


def _run_import(job: SheetJob, model_admin) -> None:
    request = _replayed_request(job, model_admin, "process_import" if job.confirmed else "import")
    if not model_admin.has_import_permission(request):
        raise PermissionDenied
    upload = SheetJob.objects.values_list("upload", flat=True).get(pk=job.pk)
    try:
        input_format = model_admin.get_import_formats()[int(request.POST.get("format", 0))]()
        resource_class = model_admin.get_import_resource_classes(request)[int(request.POST.get("resource", 0))]
    except (IndexError, ValueError):
        raise JobError("The import form named a format or a resource this list does not offer.") from None
    if not input_format.is_binary():
        input_format.encoding = model_admin.from_encoding
    try:
        dataset = input_format.create_dataset(bytes(upload))
    except Exception as error:  # noqa: BLE001 - the message the admin's own form shows
        raise JobError(
            f"{type(error).__name__} while reading the file: is it really a "
            f"{input_format.get_extension().upper()} file?"
        ) from None
    SheetJob.objects.filter(pk=job.pk).update(rows_total=len(dataset))
    request.sheet_job_progress = _reporter(job.pk, PROGRESS_EVERY)
    resource = resource_class(**model_admin.get_import_resource_kwargs(request))
    with transaction.atomic():  # the rows and the job's outcome commit together, or neither does
        result = resource.import_data(
            dataset,
            dry_run=not job.confirmed,
            raise_errors=False,
            rollback_on_validation_errors=True,
            file_name=job.file_name,
            user=job.started_by,
            retain_instance_in_row_result=job.confirmed,
        )
        summary, row_errors = _outcome(result)
        failed = result.has_errors() or result.has_validation_errors()
        if not failed and job.confirmed:
            model_admin.generate_log_entries(result, request)
        SheetJob.objects.filter(pk=job.pk).update(
            status=SheetJobStatus.FAILED if failed else SheetJobStatus.DONE if job.confirmed else SheetJobStatus.READY,
            summary=summary,
            row_errors=row_errors[:MAX_ROW_ERRORS],
            error=_import_error(summary, job.confirmed) if failed else "",
            rows_done=len(dataset),
            finished_at=timezone.now(),
        )
    if job.confirmed and not failed:
        post_import.send(sender=None, model=model_admin.model)


def _outcome(result) -> tuple[dict, list[dict]]:
    """An import result as the job keeps it: counts by outcome, and each bad row's number and messages."""
    errors = [{"row": None, "messages": [str(error.error)]} for error in result.base_errors]
    errors += [
        {"row": number, "messages": [str(error.error) for error in found]} for number, found in result.row_errors()
    ]
    for row in result.invalid_rows:
        messages = [
            message if column == "__all__" else f"{column}: {message}"
            for column, texts in row.error_dict.items()
            for message in texts
        ]
        errors.append({"row": row.number, "messages": messages})
    errors.sort(key=lambda entry: (entry["row"] is not None, entry["row"] or 0))
    summary = {**{str(kind): count for kind, count in result.totals.items()}, "rows": result.total_rows}
    summary["bad_rows"] = len({entry["row"] for entry in errors if entry["row"] is not None})
    summary["file_errors"] = len(result.base_errors)
    return summary, errors


def _import_error(summary: dict, confirmed: bool) -> str:
    if summary["file_errors"]:
        what = "The file cannot be imported"
    else:
        what = f"{summary['bad_rows']} of {summary['rows']} rows have errors"
    done = "nothing was written" if confirmed else "nothing was imported"
    return f"{what}, so {done}. Correct the file and upload it again."


def _fail(job: SheetJob, message: str) -> None:
    SheetJob.objects.filter(pk=job.pk).update(status=SheetJobStatus.FAILED, error=message, finished_at=timezone.now())


def list_admin(job: SheetJob):
    """The admin that exports or imports the job's model (its spreadsheet code is the job's)."""
    try:
        model_admin = admin.site.get_model_admin(apps.get_model(job.app_label, job.model_name))
    except (LookupError, NotRegistered):
        raise JobError(f"The list {job.app_label}.{job.model_name} does not exist any more.") from None
    if not hasattr(model_admin, "get_export_data"):
        raise JobError(f"The list {job.app_label}.{job.model_name} does not import or export spreadsheets.")
    return model_admin


def _replayed_request(job: SheetJob, model_admin, view: str) -> HttpRequest:
    """The request that started the job, as its admin views read it: who, the list's query string, the form."""
    user = job.started_by
    if not (user.is_active and user.is_staff):
        raise JobError("The account that started this job can no longer use the admin.")
    opts = model_admin.model._meta
    request = HttpRequest()
    request.method = "POST"
    request.path = request.path_info = reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}")
    request.META = {"REQUEST_METHOD": "POST", "QUERY_STRING": job.query, "SERVER_NAME": "localhost"}
    request.GET = QueryDict(job.query)
    post = QueryDict(mutable=True)
    for key, values in (job.form_data or {}).items():
        post.setlist(key, [str(value) for value in values])
    request.POST = post
    request.user = user
    return request


def _form_data(post: QueryDict) -> dict[str, list[str]]:
    return {key: values for key, values in post.lists() if key not in NOT_FORM_FIELDS}


def _job_lock(job_id: int):
    """A sheet job: one worker runs it at a time (``feedbackhub.advisory_lock``)."""
    return advisory_lock(LOCK_NAMESPACE, job_id)


def _lock_held(job_id: int) -> bool:
    """Whether a worker holds the job's lock (asked by taking it and letting go at once)."""
    with _job_lock(job_id) as free:
        return not free
