"""The admin of spreadsheet jobs: "my imports and exports", a job's page with its progress, the download, the confirm.

Everyone who uses the admin sees their own jobs (a superuser sees everyone's); a job's page, its progress, its file
and its confirmation are reached only through that scoped queryset, so another person's job is a 404.
Registered by ``feedbackhub.admin``.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from unfold.admin import ModelAdmin

from feedbackhub import sheet_jobs
from feedbackhub.choices import SheetJobKind, SheetJobStatus
from feedbackhub.models import SheetJob

FILE_FIELDS = ("upload", "result")  # never read for a list or a progress poll


@admin.register(SheetJob)
class SheetJobAdmin(ModelAdmin):
    """Long spreadsheet exports and imports: status, progress, the file or the per-row errors."""

    list_display = [
        "job",
        "kind",
        "list_name",
        "status",
        "progress_text",
        "download",
        "owner",
        "created_at",
        "finished_at",
    ]
    list_display_links = ["job"]
    list_filter = ["status", "kind"]
    list_select_related = ["started_by"]
    ordering = ["-created_at", "-id"]

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:job_id>/progress/", view(self.progress_view), name="feedbackhub_sheetjob_progress"),
            path("<int:job_id>/download/", view(self.download_view), name="feedbackhub_sheetjob_download"),
            path("<int:job_id>/confirm/", view(self.confirm_view), name="feedbackhub_sheetjob_confirm"),
            *super().get_urls(),
        ]

    def get_queryset(self, request) -> QuerySet:
        """The person's own jobs (a superuser's: everyone's), without their files."""
        jobs = super().get_queryset(request).defer(*FILE_FIELDS)
        return jobs if request.user.is_superuser else jobs.filter(started_by=request.user)

    # Any staff user follows the jobs they start; nobody adds or edits one by hand.
    def has_module_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request, obj=None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return self.has_module_permission(request) and (
            obj is None or request.user.is_superuser or obj.started_by_id == request.user.pk
        )

    # --- The job's page, its progress, its file, its confirmation ----------------------------------------------------

    def change_view(self, request, object_id, form_url="", extra_context=None):
        job = self._job(request, object_id)
        model_admin = self._list_admin(job)
        context = {
            **self.admin_site.each_context(request),
            "title": str(job),
            "opts": self.opts,
            "job": job,
            "list_name": self.list_name(job),
            "list_url": self._list_url(job, model_admin),
            "progress": sheet_jobs.progress(job),
            "progress_url": reverse("admin:feedbackhub_sheetjob_progress", args=[job.pk]),
            "download_url": reverse("admin:feedbackhub_sheetjob_download", args=[job.pk]) if _has_file(job) else "",
            "confirm_url": reverse("admin:feedbackhub_sheetjob_confirm", args=[job.pk])
            if job.status == SheetJobStatus.READY and job.started_by_id == request.user.pk
            else "",
            "summary": _summary_rows(job),
            "row_errors": job.row_errors,
            "more_errors": max(0, job.summary.get("bad_rows", 0) - len(job.row_errors)),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "feedbackhub/sheet_job.html", context)

    def progress_view(self, request, job_id: int) -> JsonResponse:
        return JsonResponse(sheet_jobs.progress(self._job(request, job_id)))

    def download_view(self, request, job_id: int) -> HttpResponse:
        job = self._job(request, job_id)
        if not _has_file(job):
            raise Http404("This job has no file to download.")
        data = SheetJob.objects.values_list("result", flat=True).get(pk=job.pk)
        response = HttpResponse(bytes(data), content_type=job.content_type or "application/octet-stream")
        response["Content-Disposition"] = f'attachment; filename="{job.file_name}"'
        return response

    def confirm_view(self, request, job_id: int) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        job = self._job(request, job_id)
        try:
            sheet_jobs.confirm_import(job=job, user=request.user)
        except PermissionDenied as error:
            raise PermissionDenied(str(error)) from None
        except sheet_jobs.JobError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, "Import confirmed: it runs now, and this page follows it.")
        return HttpResponseRedirect(job.get_absolute_url())

    def _job(self, request, job_id) -> SheetJob:
        if not self.has_view_permission(request):
            raise PermissionDenied
        return get_object_or_404(self.get_queryset(request), pk=job_id)

    def _list_admin(self, job: SheetJob):
        try:
            return sheet_jobs.list_admin(job)
        except sheet_jobs.JobError:
            return None

    def _list_url(self, job: SheetJob, model_admin) -> str:
        if model_admin is None:
            return ""
        url = reverse(f"admin:{job.app_label}_{job.model_name}_changelist")
        return f"{url}?{job.query}" if job.query else url

    # --- Columns -----------------------------------------------------------------------------------------------------

    @admin.display(description="job", ordering="-created_at")
    def job(self, obj: SheetJob) -> str:
        return f"#{obj.pk} {obj.file_name}" if obj.file_name else f"#{obj.pk}"

    @admin.display(description="list")
    def list_name(self, obj: SheetJob) -> str:
        model_admin = self._list_admin(obj)
        if model_admin is None:
            return f"{obj.app_label}.{obj.model_name}"
        return str(model_admin.model._meta.verbose_name_plural).capitalize()

    @admin.display(description="progress")
    def progress_text(self, obj: SheetJob) -> str:
        if obj.rows_total is None:
            return "—"
        return f"{obj.rows_done:,} of {obj.rows_total:,} rows"

    @admin.display(description="started by", ordering="started_by__username")
    def owner(self, obj: SheetJob) -> str:
        return obj.started_by.get_full_name() or obj.started_by.get_username()

    @admin.display(description="file")
    def download(self, obj: SheetJob) -> str:
        if not _has_file(obj):
            return "—"
        return format_html('<a href="{}">Download</a>', reverse("admin:feedbackhub_sheetjob_download", args=[obj.pk]))


def _has_file(job: SheetJob) -> bool:
    return job.kind == SheetJobKind.EXPORT and job.status == SheetJobStatus.DONE


def _summary_rows(job: SheetJob) -> list[tuple[str, int]]:
    """An import's counts as the page lists them (only those that happened)."""
    labels = [("new", "new"), ("update", "updated"), ("skip", "unchanged"), ("delete", "deleted")]
    labels += [("invalid", "with errors"), ("error", "failed")]
    return [(label, job.summary[key]) for key, label in labels if job.summary.get(key)]
