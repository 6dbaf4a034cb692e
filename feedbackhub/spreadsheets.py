"""Spreadsheet safety: the one formula-escaping rule every export applies (OWASP "CSV injection").

A cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return can be run as a formula by
Excel, LibreOffice or Google Sheets. Such text gets a leading ``'``, which spreadsheets read as "this is text".
Only text is escaped: a number (``-1200`` ARR, ``-0.8`` sentiment) is a value, never a formula. Imports undo the
escape (``unescape_formula``), so a sheet exported, edited and imported again keeps its text as it was.

Pure functions: this module imports nothing of the apps (nor of Django).
"""

from __future__ import annotations

from typing import TypeVar

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
ESCAPE = "'"

T = TypeVar("T")


def is_formula_like(value: object) -> bool:
    """Whether ``value`` is text a spreadsheet could read as a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_PREFIXES)


def escape_formula(value: T) -> T | str:
    """``value`` with a leading ``'`` if it is text that starts like a formula; anything else unchanged."""
    return f"{ESCAPE}{value}" if is_formula_like(value) else value


def unescape_formula(value: T) -> T | str:
    """The inverse of ``escape_formula``: text read back from an exported sheet loses the quote that export added."""
    if isinstance(value, str) and value.startswith(ESCAPE) and is_formula_like(value[1:]):
        return value[1:]
    return value
