"""Reading the launch pages' HTML in tests: one element by id, the launches a part of a page links to."""

from __future__ import annotations

import re

from django.urls import reverse


def section(html: str, element_id: str) -> str:
    """The inner HTML of the ``<section>`` or ``<li>`` with ``id=element_id`` (holding no element of its own tag)."""
    match = re.search(rf'<(section|li)\b[^>]*\bid="{re.escape(element_id)}"[^>]*>(.*?)</\1>', html, re.DOTALL)
    assert match, f"no element with id={element_id!r}"
    return match.group(2)


def linked_launches(html: str) -> set[int]:
    """The pks of the launches whose change page ``html`` links to."""
    pattern = re.escape(reverse("admin:launches_launch_change", args=[999999])).replace("999999", r"(\d+)")
    return {int(pk) for pk in re.findall(pattern, html)}


def data_of(html: str, attribute: str) -> list[str]:
    """Every value of the ``data-<attribute>`` attributes in ``html``, in order."""
    return re.findall(rf'data-{re.escape(attribute)}="([^"]*)"', html)
