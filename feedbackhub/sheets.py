"""The pieces every FeedbackHub spreadsheet (django-import-export) shares.

``HubResource`` is the base of every resource of the project: each exported cell goes through
``feedbackhub.spreadsheets.escape_formula`` (CSV and XLSX alike, admin or not), an import runs in one transaction
that a single bad row rolls back, and a row may only add or change what its user may add or change.
``SpreadsheetAdmin`` is the admin side: CSV and XLSX, unfold's forms, export for whoever may view; an export or
import of ``sheet_jobs.JOB_ROWS_FROM`` rows or more becomes a job with progress (``feedbackhub.sheet_jobs``).
This module imports nothing of the apps.
"""

from __future__ import annotations

import numbers
import re
from collections.abc import Iterable, Mapping

from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from import_export import resources, widgets
from import_export.admin import ImportExportModelAdmin
from import_export.formats.base_formats import CSV, XLSX
from unfold.contrib.import_export.forms import ImportForm, SelectableFieldsExportForm

from feedbackhub import sheet_jobs
from feedbackhub.spreadsheets import escape_formula, unescape_formula

SPREADSHEET_FORMATS = [CSV, XLSX]


def _plain(text: str) -> str:
    """Lower-case letters and digits only: how choice values and labels are compared."""
    return re.sub(r"[^a-z0-9]+", "", text.lower())


class ChoiceWidget(widgets.Widget):
    """A choice column: exports the label, imports the value or the label (any case, any punctuation).

    An unknown value is refused with the list of allowed ones. ``aliases`` adds other spellings (another tool's
    vocabulary, e.g. Airtable's "Request" for a feature request). A blank cell cleans to ``blank``: with
    ``Field(saves_null_values=False)``, ``blank=None`` leaves the record's value as it is.
    """

    def __init__(
        self,
        choices: Iterable[tuple[str, str]],
        *,
        aliases: Mapping[str, str] | None = None,
        blank: str | None = "",
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.blank = blank
        self.choices = list(choices)
        self.labels = dict(self.choices)
        self.lookup: dict[str, str] = {}
        for value, label in self.choices:
            for spelling in (value, label, re.sub(r"\s*\(.*\)\s*$", "", label)):
                self.lookup.setdefault(_plain(spelling), value)
        for spelling, value in (aliases or {}).items():
            self.lookup[_plain(spelling)] = value

    def clean(self, value, row=None, **kwargs) -> str | None:
        text = "" if value is None else str(value).strip()
        if not text:
            return self.blank
        try:
            return self.lookup[_plain(text)]
        except KeyError:
            allowed = ", ".join(label for _, label in self.choices)
            raise ValueError(f"“{text}” is not an allowed value; use one of: {allowed}.") from None

    def render(self, value, obj=None, **kwargs) -> str:
        return str(self.labels.get(value, value or ""))


class KeyWidget(widgets.CharWidget):
    """A natural-key text column (domain, CRM id): blank is stored as NULL, so unique keys never collide on ''."""

    def __init__(self, *, normalize=None, **kwargs):
        super().__init__(allow_blank=False, **kwargs)
        self.normalize = normalize

    def clean(self, value, row=None, **kwargs) -> str | None:
        text = "" if value is None else str(value).strip()
        if self.normalize:
            text = self.normalize(text)
        return text or None


class HubResource(resources.ModelResource):
    """Base resource: escaped exports (unescaped on import), all-or-nothing imports, per-row permission checks.

    ``progress``, when given (a job's), is called with the number of rows exported or imported so far, after each.
    """

    def __init__(self, *, progress=None, **kwargs):
        super().__init__(**kwargs)
        self.progress = progress
        self.rows_seen = 0

    def _row_seen(self) -> None:
        self.rows_seen += 1
        if self.progress is not None:
            self.progress(self.rows_seen)

    def export_resource(self, instance, selected_fields=None, **kwargs):
        row = super().export_resource(instance, selected_fields, **kwargs)
        self._row_seen()
        return row

    def import_row(self, row, instance_loader, **kwargs):
        row_result = super().import_row(row, instance_loader, **kwargs)
        self._row_seen()
        return row_result

    def export_field(self, field, instance, **kwargs):
        """Every exported cell of every export (admin view, admin action, ``manage.py export``) passes here."""
        value = super().export_field(field, instance, **kwargs)
        if isinstance(field.widget, widgets.NumberWidget) and _is_number(field.get_value(instance)):
            return value  # a number (even -1200.50, "-1200.50" in CSV) is a value, never a formula
        return escape_formula(value)

    def before_import_row(self, row, **kwargs):
        """A cell our export escaped (``'=…``) is read back as it was written."""
        super().before_import_row(row, **kwargs)
        for column, cell in row.items():
            row[column] = unescape_formula(cell)

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        """Errors are named by the file's column ("Industry"), not the model's field ("industry")."""
        try:
            super().validate_instance(instance, import_validation_errors, validate_unique)
        except ValidationError as error:
            columns = {field.attribute: field.column_name for field in self.get_import_fields() if field.attribute}
            raise ValidationError({columns.get(key, key): value for key, value in error.error_dict.items()}) from None

    def import_data(self, dataset, dry_run=False, raise_errors=False, use_transactions=None, **kwargs):
        """Import in one transaction; any invalid row rolls back every row (unless the caller decides otherwise)."""
        kwargs.setdefault("rollback_on_validation_errors", True)
        return super().import_data(dataset, dry_run, raise_errors, use_transactions, **kwargs)

    def after_init_instance(self, instance, new, row, **kwargs):
        """Refuse a row that adds (or changes) a record its user may not add (or change)."""
        super().after_init_instance(instance, new, row, **kwargs)
        user = kwargs.get("user")
        if user is None:  # a management command: the operator is trusted
            return
        opts = self._meta.model._meta
        action = "add" if new else "change"
        if not user.has_perm(f"{opts.app_label}.{action}_{opts.model_name}"):
            verb = "add new" if new else "change existing"
            raise ValidationError(f"You may not {verb} {opts.verbose_name_plural}: this row would {action} one.")


def _is_number(value) -> bool:
    return isinstance(value, numbers.Number) and not isinstance(value, bool)


class SpreadsheetAdmin(ImportExportModelAdmin):
    """Import/export for an admin: CSV and XLSX, unfold's forms; export needs view, import needs add or change.

    django-import-export lets anyone with admin access export unless IMPORT_EXPORT_EXPORT_PERMISSION_CODE is set;
    here the model's own permissions decide (Sales / CS view customers, so they export them). Whether each row may
    add or change is checked per row by ``HubResource``.
    """

    import_form_class = ImportForm
    export_form_class = SelectableFieldsExportForm
    import_formats = SPREADSHEET_FORMATS
    export_formats = SPREADSHEET_FORMATS
    import_error_display = ("message", "row")

    def has_export_permission(self, request) -> bool:
        return self.has_view_permission(request)

    def has_import_permission(self, request) -> bool:
        return self.has_add_permission(request) or self.has_change_permission(request)

    def get_resource_kwargs(self, request, *args, **kwargs):
        """A job's resources report their progress (the worker sets ``sheet_job_progress`` on its request)."""
        kwargs = super().get_resource_kwargs(request, *args, **kwargs)
        progress = getattr(request, "sheet_job_progress", None)
        if progress is not None:
            kwargs["progress"] = progress
        return kwargs

    def _do_file_export(self, file_format, request, queryset, export_form=None):
        """A large export becomes a job (the person goes to its page); a small one is the download, as before."""
        chosen_rows = export_form is not None and "export_items" in export_form.changed_data
        if export_form is not None and not chosen_rows and sheet_jobs.is_large(queryset):
            job = sheet_jobs.start_export(model_admin=self, request=request)
            return HttpResponseRedirect(job.get_absolute_url())
        return super()._do_file_export(file_format, request, queryset, export_form)

    def import_action(self, request, **kwargs):
        """A large upload becomes a job (dry run, then the import once confirmed); a small one runs here, as before."""
        if (
            request.method == "POST"
            and self.has_import_permission(request)
            and not self.is_skip_import_confirm_enabled()
        ):
            form = self.create_import_form(request)
            if form.is_valid():
                input_format = self.get_import_formats()[int(form.cleaned_data["format"])]()
                upload = form.cleaned_data["import_file"]
                data = b"".join(upload.chunks())
                rows = sheet_jobs.rows_in_file(data, extension=input_format.get_extension())
                if rows is None or rows >= sheet_jobs.JOB_ROWS_FROM:
                    job = sheet_jobs.start_import(
                        model_admin=self, request=request, data=data, file_name=upload.name, rows=rows
                    )
                    return HttpResponseRedirect(job.get_absolute_url())
        return super().import_action(request, **kwargs)
