"""How the admin writes values people read: money with separators, statuses as coloured pills."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

from django.contrib.admin.utils import quote
from django.urls import reverse
from django.utils.html import format_html

PK_MARK = "__fh_pk__"

PILL_COLOURS = {  # value → (background, text)
    "red": ("#fee2e2", "#991b1b"),
    "amber": ("#fef3c7", "#92400e"),
    "green": ("#dcfce7", "#166534"),
    "blue": ("#dbeafe", "#1e40af"),
    "grey": ("#f3f4f6", "#374151"),
}
# unfold's label variants (``@display(label=...)``) in the same colours, so one choice → variant map serves both.
VARIANT_COLOURS = {"danger": "red", "warning": "amber", "success": "green", "info": "blue", "primary": "blue"}
# A theme's status (themes.choices.ThemeStatus's values) → pill colour. Here because feedback's role views show it
# too and may not import themes; tests/themes checks the keys against ThemeStatus.
THEME_STATUS_COLOURS = {"hypothesis": "grey", "validated": "amber", "in_progress": "blue", "shipped": "green"}


def money(value: Decimal | float | int | None) -> str:
    """``$1,234,567`` (whole dollars); an em dash for nothing."""
    if value is None:
        return "—"
    return f"${value:,.0f}"


def pill(label: str, colour: str = "grey") -> str:
    """A small coloured label (safe HTML); ``colour`` is a colour name or an unfold label variant."""
    colour = VARIANT_COLOURS.get(colour, colour)
    background, text = PILL_COLOURS.get(colour, PILL_COLOURS["grey"])
    return format_html(
        '<span style="display:inline-block;padding:0 .5rem;border-radius:999px;font-size:.75rem;white-space:nowrap;'
        'background:{};color:{}">{}</span>',
        background,
        text,
        label,
    )


@lru_cache(maxsize=256)
def _change_url_pattern(app_label: str, model_name: str) -> str:
    return reverse(f"admin:{app_label}_{model_name}_change", args=[PK_MARK])


def change_url(obj_or_model, pk) -> str:
    """The admin change page of row ``pk`` of a model: reversed once per model, not once per row of a list."""
    opts = obj_or_model._meta
    return _change_url_pattern(opts.app_label, opts.model_name).replace(PK_MARK, quote(str(pk)))


def link(obj_or_model, pk, text) -> str:
    """``<a href="(change page)">text</a>`` (safe HTML)."""
    return format_html('<a href="{}">{}</a>', change_url(obj_or_model, pk), text)
