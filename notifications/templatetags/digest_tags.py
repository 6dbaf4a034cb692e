"""Filters of the digest templates (``notifications/templates/notifications/digest_*.md``), which write Markdown.

``md`` escapes a value so Markdown reads it as text (a customer's ``*`` or ``[`` stays a character); ``linked`` makes
a label a link to the hub's page when ``HUB_BASE_URL`` is set (a digest read in Slack or a mailbox needs an absolute
URL; without one the label stays plain text); ``words`` cuts a quote to a number of words, marked with an ellipsis.
"""

from __future__ import annotations

import re

from django import template
from django.conf import settings

register = template.Library()

MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]#>~])")


@register.filter
def md(value) -> str:
    """``value`` as Markdown text: its markup characters escaped, its whitespace one space."""
    return MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(str(value if value is not None else "").split()))


@register.filter
def linked(label: str, path: str) -> str:
    """``[label](HUB_BASE_URL + path)``, or ``label`` alone when the hub has no base URL."""
    base = settings.HUB_BASE_URL
    return f"[{label}]({base}{path})" if base and path else label


@register.filter
def words(value: str, limit: int) -> str:
    """The first ``limit`` words of ``value``, with an ellipsis when it was longer."""
    parts = str(value).split()
    return " ".join(parts) if len(parts) <= int(limit) else " ".join(parts[: int(limit)]) + " …"


@register.filter
def signed(value: int) -> str:
    """+3, −2, 0, +1,204."""
    return f"+{value:,}" if value > 0 else (f"−{-value:,}" if value < 0 else "0")


@register.filter
def more(total: int, shown: int) -> str:
    """ "; and 4 more" when a list of ``total`` shows only ``shown``; nothing otherwise."""
    rest = int(total) - int(shown)
    return f"; and {rest} more" if rest > 0 else ""
