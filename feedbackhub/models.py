"""Models of the hub itself (not of a domain app): saved views of the admin changelists, spreadsheet jobs."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django.db.models.functions import Lower
from django.urls import NoReverseMatch, reverse

from feedbackhub.choices import SheetJobKind, SheetJobStatus

NAME_MAX_LENGTH = 80
QUERY_MAX_LENGTH = 2000  # a changelist URL's query string (filters, search, sort, columns), normalised


class SavedView(models.Model):
    """A named filter, search, sort and set of columns of one admin changelist, its owner's, shareable with roles.

    A saved view is only a query string: opening it runs the changelist's own permission checks and row scoping.
    Written through ``feedbackhub.saved_views`` (the service normalises the query and checks who may save what).
    """

    name = models.CharField(max_length=NAME_MAX_LENGTH)
    owner = models.ForeignKey(  # no index of its own: the unique constraint's index starts with it
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views", db_index=False
    )
    app_label = models.CharField(max_length=100)
    model_name = models.CharField(max_length=100)
    query = models.CharField(
        max_length=QUERY_MAX_LENGTH,
        blank=True,
        help_text="The changelist's query string without '?': filters, search (q), sort (o), columns (cols).",
    )
    shared_with = models.ManyToManyField(
        Group, blank=True, related_name="saved_views", help_text="Roles whose members see this view (read-only)."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["app_label", "model_name", "name", "id"]
        constraints = [
            models.UniqueConstraint(
                "owner",
                "app_label",
                "model_name",
                Lower("name"),
                name="savedview_owner_changelist_name_uniq",
                violation_error_message="You already have a view with this name on this list.",
            ),
        ]
        indexes = [
            # "Views of this changelist", in name order: the owner's and the shared ones are both read through it.
            models.Index(fields=["app_label", "model_name", "name", "id"], name="savedview_changelist_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        """The changelist with this view applied ("" when the admin it belongs to is gone)."""
        try:
            url = reverse(f"admin:{self.app_label}_{self.model_name}_changelist")
        except NoReverseMatch:
            return ""
        return f"{url}?{self.query}" if self.query else url


class SheetJob(models.Model):
    """A spreadsheet export or import too long for one request, run by a Celery worker (``feedbackhub.sheet_jobs``).

    It keeps what the request asked for (the changelist's query string and the export form, or the uploaded file),
    never which rows: the worker re-applies the admin's own queryset for the person who started the job. Files are
    stored in the database, so any web server can hand out what any worker wrote.
    """

    kind = models.CharField(max_length=10, choices=SheetJobKind.choices)
    status = models.CharField(max_length=10, choices=SheetJobStatus.choices, default=SheetJobStatus.QUEUED)
    app_label = models.CharField(max_length=100)
    model_name = models.CharField(max_length=100)
    started_by = models.ForeignKey(  # no index of its own: the "my jobs" index starts with it
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sheet_jobs", db_index=False
    )
    query = models.CharField(max_length=QUERY_MAX_LENGTH, blank=True, help_text="The changelist's filters and search.")
    form_data = models.JSONField(default=dict, blank=True, help_text="The export or import form, as posted.")
    confirmed = models.BooleanField(default=False, help_text="An import: its owner confirmed it after the dry run.")
    file_name = models.CharField(max_length=255, blank=True, help_text="The uploaded file's name, or the export's.")
    upload = models.BinaryField(null=True, blank=True, editable=False)
    result = models.BinaryField(null=True, blank=True, editable=False)
    content_type = models.CharField(max_length=100, blank=True)
    rows_total = models.PositiveIntegerField(null=True, blank=True)
    rows_done = models.PositiveIntegerField(default=0)
    summary = models.JSONField(default=dict, blank=True, help_text="An import's counts by outcome.")
    row_errors = models.JSONField(default=list, blank=True, help_text="An import's errors, one entry per bad row.")
    error = models.TextField(blank=True, help_text="Why the job failed.")
    created_at = models.DateTimeField(auto_now_add=True)
    queued_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "import or export"
        verbose_name_plural = "imports and exports"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["started_by", "-created_at", "-id"], name="sheetjob_mine_idx"),
            models.Index(fields=["-created_at", "-id"], name="sheetjob_created_idx"),
            models.Index(
                fields=["queued_at"],
                name="sheetjob_waiting_idx",
                condition=models.Q(status__in=["queued", "running"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.model_name} #{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("admin:feedbackhub_sheetjob_change", args=[self.pk])

    @property
    def finished(self) -> bool:
        """Whether nothing more will happen to the job without someone acting on it."""
        return self.status in (SheetJobStatus.DONE, SheetJobStatus.FAILED, SheetJobStatus.READY)


class DomainEvent(models.Model):
    """Something that happened which other apps act on ("theme.shipped", "launch.shipped", …), written in the same
    transaction as the change itself — by a service, or by a database trigger so no door can skip it.

    ``key`` makes an event once: the same happening emitted twice is one row, so it is acted on once. Handlers that
    upper apps subscribe (``feedbackhub.events``) run later, in a task, all in one transaction per event; the row is
    marked processed in that same transaction. While Redis is down the rows wait here and a minute sweep sends them.
    """

    name = models.CharField(max_length=64)
    key = models.CharField(max_length=200, unique=True)
    payload = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(db_default=models.functions.Now())
    processed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0, db_default=0)
    last_error = models.TextField(blank=True, default="", db_default="")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["created_at", "id"],
                name="domain_event_pending_idx",
                condition=models.Q(processed_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return self.key
