"""Constants and helpers of the browser tests (their fixtures are in ``conftest.py``, which documents both)."""

from __future__ import annotations

import os
import re
from pathlib import Path

from django.conf import settings

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
INSTALL_HINT = (
    f"The browser tests need Chromium, and {CHROMIUM} is missing. Install it with: sudo apt-get install chromium "
    "(`make test` does it by itself when run as root), or set CHROMIUM to a Chromium binary. "
    "`playwright install` does not work here: its browser download is blocked."
)

DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
VIEWPORTS = {"desktop": DESKTOP, "phone": PHONE}
PASSWORD = "pm-password"  # noqa: S105 - the test PM's
SCREENSHOTS = Path(settings.BASE_DIR) / ".data" / "screenshots"
TIMEOUT_MS = 15_000  # for actions and expect(): a page answers in about a second, several on a busy 2-core machine

# Console errors every page has today, each with its own strict-xfail test that fails once the cause is fixed (then
# drop the entry here). None today.
KNOWN_CONSOLE_ERRORS: list[re.Pattern] = []

_errors: dict = {}  # page → every console error and uncaught exception it has had, known ones included


def watch_console(page) -> None:
    """Record ``page``'s console errors and uncaught exceptions (``open_page`` does it for every page)."""
    errors = _errors.setdefault(page, [])

    def on_console(message) -> None:
        if message.type == "error":
            errors.append(f"{message.text} [{message.location.get('url', '')}]")

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))


def forget_console(page) -> None:
    _errors.pop(page, None)


def console_errors(page, *, include_known: bool = False) -> list[str]:
    """The console errors (with the resource or script URL) and uncaught exceptions ``page`` has had so far.

    Known errors (``KNOWN_CONSOLE_ERRORS``) are left out unless ``include_known``.
    """
    return [
        error
        for error in _errors.get(page, [])
        if include_known or not any(known.match(error) for known in KNOWN_CONSOLE_ERRORS)
    ]


def log_in(page, username: str, password: str) -> None:
    """Log in through the admin's real login form, reached as a person does (the admin sends them there)."""
    page.goto("/admin/")
    page.get_by_label(re.compile("username", re.IGNORECASE)).fill(username)
    page.get_by_label(re.compile("password", re.IGNORECASE)).fill(password)
    page.get_by_role("button", name=re.compile("log in", re.IGNORECASE)).click()
    page.wait_for_url(re.compile(r"/admin/$"))


def screenshot(page, name: str, *, full_page: bool = True) -> Path:
    """Save a PNG of ``page`` as ``.data/screenshots/<name>.png`` (git-ignored); return its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=path, full_page=full_page)
    return path


def has_horizontal_overflow(page) -> bool:
    """Whether the page is wider than its viewport (a phone user would have to scroll sideways)."""
    return page.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth")
