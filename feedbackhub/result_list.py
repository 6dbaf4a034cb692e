"""A changelist's rows in one pass: what unfold's ``result_list`` works out per cell, worked out once per column.

unfold builds every cell of every row from scratch: it recomputes all the column headers for each row, looks each
field up again, and renders a template for every label pill, boolean icon and action checkbox (about 160 ms of a
50-row feedback page at 1M rows, most of the request). The markup is unfold's own, so the page looks the same:
- per column, once: the field or admin method, the cell's classes, its header text, whether it links to the row;
  unfold's 25 utility classes on every cell become one (``fh-td``, styled the same by feedbackhub/list.css);
- per distinct value, once: a label pill or boolean icon (a page holds a handful of statuses, not fifty);
- per row: the value, escaped into the column's precomputed cell.

The editable grid's fields are drawn once per distinct value too: a row's select differs from another row's with the
same value only by its form prefix (``form-7-status``), so 200 widget templates become a dozen.

Lists that use what this does not draw — row actions, expandable sections, drag ordering, popups — keep unfold's
renderer (``fast_rows_apply``).
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.utils import FieldIsAForeignKeyColumnName, _get_non_gfk_field, quote
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from django.db import models
from django.db.models.constants import LOOKUP_SEP
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from unfold.templatetags.unfold_list import LINK_CLASSES, _coerce_field_name, result_headers
from unfold.utils import display_for_field, display_for_label, display_for_value

ROW_OPEN = (
    '<tr class="data-row block border border-base-200 mb-3 relative rounded-default lg:table-row lg:border-none '
    'lg:mb-0 lg:rounded-none dark:border-base-800">'
)
BODY_CLASSES = ("", "bg-base-50 dark:bg-white/[.02]")  # unfold's {% cycle %} of row backgrounds
PK_MARK = "__fh_pk__"
FIELD_MARK = "__fh_field__"
CELL_CLASS = "fh-td"  # unfold's 25 cell utility classes as one (feedbackhub/static/feedbackhub/list.css)
CHECKBOX_CLASS = "action-checkbox fh-cb"


def fast_rows_apply(cl, actions_row=None) -> bool:
    """Whether this changelist's rows can be drawn here (nothing on it that only unfold's renderer draws)."""
    admin = cl.model_admin
    return not (
        cl.is_popup or actions_row or getattr(admin, "ordering_field", None) or getattr(admin, "list_sections", None)
    )


@dataclass
class Column:
    name: str
    header: str
    classes: str
    model_field: Any = None  # the model field shown, or None for an admin/model method
    attr: Any = None  # the method (or attribute name) when not a field
    kind: str = "value"  # "field", "checkbox", "label", "boolean", "value"
    link: bool = False
    first_link: bool = False  # the first linked column is a <th>, as in unfold
    flags: Any = None  # what carries @display's label / boolean / empty_value_display
    choices: dict | None = None  # a choices field's labels by value
    cache: dict = dataclass_field(default_factory=dict)  # rendered pills / icons by value

    def cell(self, obj, empty: str) -> str:
        if self.kind == "field":
            value = getattr(obj, self.model_field.attname if self.model_field.is_relation else self.model_field.name)
            if self.model_field.is_relation:
                related = getattr(obj, self.model_field.name) if value is not None else None
                return conditional_escape(related) if related is not None else empty
            if self.choices is not None:  # display_for_field rebuilds this dict for every cell
                return conditional_escape(self.choices.get(value, empty))
            if isinstance(self.model_field, models.BooleanField):  # an icon template: once per value
                if value not in self.cache:
                    self.cache[value] = display_for_field(value, self.model_field, empty)
                return self.cache[value]
            return conditional_escape(display_for_field(value, self.model_field, empty))
        try:
            value = self.attr(obj) if callable(self.attr) else _attribute(obj, self.attr)
        except ObjectDoesNotExist:
            return empty
        if self.kind in ("label", "boolean"):
            key = tuple(value) if isinstance(value, list) else value
            try:
                return self.cache[key]
            except KeyError:
                pass
            except TypeError:  # an unhashable value: rendered each time
                key = None
            if self.kind == "label":
                html = display_for_label(value, empty, self.flags.label)
            else:
                html = display_for_value(value, empty, True)
            html = mark_safe(" ".join(html.split()))  # the template's indentation, once per page is plenty
            if key is not None:
                self.cache[key] = html
            return html
        return conditional_escape(display_for_value(value, getattr(self.flags, "empty_value_display", empty)))


def _columns(cl) -> list[Column]:
    """What each column shows and how its cells look, worked out once for the page."""
    admin, opts = cl.model_admin, cl.lookup_opts
    headers = [header["text"] for header in result_headers(cl)]
    links = cl.list_display_links
    columns, first = [], True
    for index, name in enumerate(cl.list_display):
        classes = [f"field-{_coerce_field_name(name, index)}", CELL_CLASS]
        header = _("Select record") if name == "action_checkbox" else headers[index]
        column = Column(name=name, header=conditional_escape(header), classes="")
        try:  # as django.contrib.admin.utils.lookup_field: a model field first, then a callable or attribute
            model_field = _get_non_gfk_field(opts, name) if isinstance(name, str) else None
        except (FieldDoesNotExist, FieldIsAForeignKeyColumnName):
            model_field = None
        if model_field is not None and not model_field.auto_created:
            column.kind, column.model_field = "field", model_field
            if getattr(model_field, "flatchoices", None) and not model_field.is_relation:
                column.choices = dict(model_field.flatchoices)
            if isinstance(model_field, models.DateField | models.TimeField | models.ForeignKey):
                classes.append("nowrap")
        else:
            if callable(name):
                attr = flags = name
            elif hasattr(admin, name) and name != "__str__":
                attr = flags = getattr(admin, name)
            else:  # a model attribute, method or related lookup (``customer__name``), read from each row
                attr, flags = name, getattr(opts.model, name, None)
            column.attr, column.flags = attr, flags
            if name == "action_checkbox":
                column.kind, classes = "checkbox", [CHECKBOX_CLASS]
            elif getattr(flags, "label", False):
                column.kind = "label"
            elif getattr(flags, "boolean", False):
                column.kind = "boolean"
        if links is not None and ((first and not links) or name in links) and name != "action_checkbox":
            column.link, column.first_link, first = True, first, False
        column.classes = " ".join(classes)
        columns.append(column)
    return columns


def _row_url(cl):
    """A function of a row giving its change URL with the list's filters preserved (None: no change page)."""
    opts = cl.opts
    try:
        base = reverse(
            f"admin:{opts.app_label}_{opts.model_name}_change",
            args=(PK_MARK,),
            current_app=cl.model_admin.admin_site.name,
        )
    except NoReverseMatch:
        return None
    url = add_preserved_filters({"preserved_filters": cl.preserved_filters, "opts": opts}, base)
    attname = cl.to_field or opts.pk.attname
    return lambda obj: url.replace(PK_MARK, quote(str(obj.serializable_value(attname))))


def result_rows(cl) -> list[SafeString]:
    """Each row of ``cl.result_list`` as unfold draws it (``<tbody>`` and all), built from per-column work."""
    admin = cl.model_admin
    empty = admin.get_empty_value_display()
    columns = _columns(cl)
    row_url = _row_url(cl)
    link_classes = " ".join(LINK_CLASSES)
    checkbox = None
    forms = list(cl.formset.forms) if getattr(cl, "formset", None) else [None] * len(cl.result_list)
    widgets = {column.name: {} for column in columns}  # the grid's widget HTML by column and value
    rows = []
    for number, (obj, form) in enumerate(zip(cl.result_list, forms, strict=True)):
        cells = []
        errors_row = ""
        if form is not None and form.non_field_errors():
            errors_row = f'<tr><td class="text-left" colspan="{len(columns)}">{form.non_field_errors()}</td></tr>'
        for column in columns:
            if form is not None and column.name in form.fields and not column.link:
                content, failed = _field(form, column.name, widgets[column.name])
                classes = f"{column.classes} group errors" if failed else column.classes
                cells.append(f'<td class="{classes}" data-label="{column.header}">{content}</td>')
                continue
            if column.kind == "checkbox":
                if checkbox is None:
                    checkbox = str(admin.action_checkbox(_PkOnly(PK_MARK)))
                content = checkbox.replace(PK_MARK, conditional_escape(str(obj.pk)))
            else:
                content = column.cell(obj, empty)
            tag = "th" if column.first_link else "td"
            if column.link and row_url is not None:
                content = format_html('<a href="{}" class="{}" >{}</a>', row_url(obj), link_classes, content)
            cells.append(f'<{tag} class="{column.classes}" data-label="{column.header}">{content}</{tag}>')
        rows.append(
            mark_safe(
                f'<tbody class="block relative lg:table-row-group {BODY_CLASSES[number % 2]}" '
                f'x-data="{{rowOpen: false}}" >{errors_row}{ROW_OPEN}{"".join(cells)}</tr></tbody>'
            )
        )
    return rows


def _field(form, name: str, drawn: dict) -> tuple[str, bool]:
    """A grid row's field (widget, and errors if any) and whether it has errors; drawn once per value per column."""
    bound = form[name]
    if bound.errors:
        errors = render_to_string("unfold/helpers/form_errors.html", {"errors": bound.errors})
        return str(bound) + errors, True
    value = bound.value()
    key = repr(tuple(value) if isinstance(value, list) else value)
    own = f"{form.prefix}-{name}"  # in the field's name, id and label: the only per-row part
    if key not in drawn:
        drawn[key] = str(bound).replace(own, FIELD_MARK)
    return drawn[key].replace(FIELD_MARK, own), False


def _attribute(obj, name: str):
    """``obj.name`` (called if a method), following ``__`` through relations as the admin does; None if missing."""
    value = getattr(obj, name, _MISSING)
    if value is _MISSING:
        value = obj
        for part in name.split(LOOKUP_SEP):
            value = getattr(value, part, None)
            if value is None:
                return None
    return value() if callable(value) else value


_MISSING = object()


class _PkOnly:
    """A stand-in row for rendering the action checkbox once (its only per-row part is the primary key)."""

    def __init__(self, pk):
        self.pk = pk

    def __str__(self) -> str:
        return ""
